import pytest

from cfnapi.cloud.sim import differences_from_seed
from cfnapi.cloud.sim.storage import SIM_OBJECT_STORE
from cfnapi.translate.base import ResourceFailure, TransientError
from cfnapi.translate.registry import default_registry
from cfnapi.translate.s3 import Bucket, BucketPolicy, tag_metadata, tags_from_metadata

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                                                  "Resource": "arn:aws:s3:::b/*"}]}


def test_a_bucket_is_a_container_named_as_cloudformation_names_buckets(world):
    ctx = world.ctx("MyLogsBucket")
    name = Bucket().create(ctx, {})
    assert name == name.lower() and len(name) <= 63 and name.startswith("web-mylogsbucket-")
    assert [c.name for c in world.cloud.list_containers()] == [name]
    state = world.create(Bucket(), {}, "Other")
    assert state.attributes == {
        "Arn": f"arn:aws:s3:::{state.physical_id}",
        "DomainName": "object-store.sim.invalid", "RegionalDomainName": "object-store.sim.invalid",
        "DualStackDomainName": "object-store.sim.invalid",
        "WebsiteURL": f"{SIM_OBJECT_STORE}/AUTH_{world.cloud.project_id}/{state.physical_id}",
    }
    assert default_registry().handler("AWS::S3::Bucket").ref(state) == state.physical_id
    world.delete(Bucket(), state)
    world.delete(Bucket(), world.state("MyLogsBucket", name, {}))
    assert differences_from_seed(world.db, world.config) == {}


def test_a_long_stack_name_still_gives_a_valid_generated_name(world):
    ctx = world.ctx("B")
    ctx = type(ctx)(**{**ctx.__dict__, "stack_name": "My_Very-Long-Stack-Name-" * 4})
    name = Bucket().create(ctx, {})
    assert len(name) <= 63 and name == name.lower() and "_" not in name


def test_tags_are_container_metadata_and_update_in_place(world):
    props = {"BucketName": "tagged-bucket", "Tags": [{"Key": "aws:Owner/Team", "Value": "Ops"},
                                                      {"Key": "env", "Value": "prod"}]}
    state = world.create(Bucket(), props)
    metadata = world.cloud.get_container("tagged-bucket").metadata
    assert tags_from_metadata(metadata) == {"aws:Owner/Team": "Ops", "env": "prod"}
    assert all(key == key.lower() for key in metadata)
    assert Bucket.update_behaviour("Tags") == "mutable" and Bucket.update_behaviour("BucketName") == "replace"
    Bucket().update(world.ctx(), state, props, {**props, "Tags": [{"Key": "env", "Value": "dev"}]})
    assert tags_from_metadata(world.cloud.get_container("tagged-bucket").metadata) == {"env": "dev"}


def test_tag_keys_round_trip_through_metadata_names():
    tags = {"Name": "x", "a_b:c d": "1", "ünï": "2"}
    assert tags_from_metadata(tag_metadata(tags)) == tags


@pytest.mark.parametrize("name, message", [
    ("Upper-Case", "should not contain uppercase"),
    ("ab", "The specified bucket is not valid"),
    ("a..b", "The specified bucket is not valid"),
    ("192.168.1.1", "The specified bucket is not valid"),
    ("-dash", "The specified bucket is not valid"),
])
def test_invalid_bucket_names_fail_with_s3s_words(world, name, message):
    with pytest.raises(ResourceFailure, match=message):
        Bucket().create(world.ctx(), {"BucketName": name})


def test_a_taken_name_fails(world):
    world.create(Bucket(), {"BucketName": "taken"})
    with pytest.raises(ResourceFailure, match="^taken already exists$"):
        Bucket().create(world.ctx("Again"), {"BucketName": "taken"})


def test_a_non_empty_bucket_fails_to_delete_with_s3s_message(world):
    state = world.create(Bucket(), {"BucketName": "full"})
    world.cloud.put_object("full", "key", b"data")
    with pytest.raises(ResourceFailure, match="^The bucket you tried to delete is not empty"):
        Bucket().delete(world.ctx(), state)
    assert world.cloud.get_container("full").object_count == 1


def test_properties_swift_cannot_honour_are_named_in_the_event_reason(world):
    props = {"BucketEncryption": {"ServerSideEncryptionConfiguration": []}, "VersioningConfiguration":
             {"Status": "Enabled"}, "ObjectLockEnabled": False, "Tags": []}
    note = Bucket().completion_note(props)
    assert note == ("Recorded, not enforced on the object store: BucketEncryption, ObjectLockEnabled, "
                    "VersioningConfiguration.")
    assert Bucket().completion_note({"BucketName": "x"}) is None


def test_find_created_finds_a_generated_bucket_by_its_creation_token(world):
    ctx = world.ctx("B")
    ctx = type(ctx)(**{**ctx.__dict__, "creation_token": "abc123def456"})
    assert Bucket().find_created(ctx, {}) is None
    name = Bucket().create(ctx, {})
    assert Bucket().find_created(ctx, {}) == name


def test_bucket_policy_is_validated_and_recorded(world):
    world.create(Bucket(), {"BucketName": "bkt"})
    state = world.create(BucketPolicy(), {"Bucket": "bkt", "PolicyDocument": POLICY}, "Policy")
    assert state.physical_id.startswith("bucketpolicy-")
    assert "not enforced" in BucketPolicy().completion_note({})
    with pytest.raises(ResourceFailure, match="Syntax errors in policy"):
        BucketPolicy().create(world.ctx(), {"Bucket": "bkt", "PolicyDocument": "{not json"})
    # A missing bucket is retried by the engine (the policy may race its bucket), then fails.
    with pytest.raises(TransientError, match="The specified bucket does not exist"):
        BucketPolicy().create(world.ctx(), {"Bucket": "nope", "PolicyDocument": POLICY})
