"""AWS resource types mapped onto native cloud operations.

``base`` is the contract (``ResourceType``, ``PropertySpec``), ``registry``
the one explicit table from type name to class.
"""
