import sys

from cfnapi.cli import main

sys.exit(main())
