import pytest
from django.db import connection


def group_chat(members: int, slug: str = "faults") -> dict:
    """A brand with a group conversation of `members` customers, each with a chat token for the socket."""
    from chats.realtime.tokens import chat_token_issue
    from chats.services import conversation_for_group
    from communities.models import GroupMember
    from crm.models import Customer
    from privtraffic.tenancy.roles import Role
    from tests import factories

    brand = factories.make_brand(slug)
    rep = factories.make_member(brand, Role.REP)
    group = factories.make_group(brand, "VIP", store=rep.store)
    conversation = conversation_for_group(group=group)
    customers = Customer.objects.bulk_create(
        [Customer(brand=brand, name=f"Guest {i}", email=f"guest{i}@example.test") for i in range(members)])
    GroupMember.objects.bulk_create([GroupMember(brand=brand, group=group, customer=c) for c in customers])
    system = factories.system(brand)
    tokens = [chat_token_issue(customer=c, actor=system)[0] for c in customers]
    return {"brand": brand, "rep": rep, "group": group, "conversation": conversation, "customers": customers,
            "tokens": tokens}


@pytest.fixture
def suite_database_url(transactional_db):
    """The test database, for a uvicorn or Celery subprocess: it sees what the test committed."""
    from tests.faults.servers import database_url

    if connection.vendor != "postgresql":
        pytest.fail("tests/testenv.py provides PostgreSQL; the fault tests need it")
    yield database_url(connection.settings_dict)
    subprocess_sessions_ended()


def subprocess_sessions_ended(timeout: float = 15) -> None:
    """Wait (at most `timeout`) until the stopped subprocesses' database sessions are gone: PostgreSQL ends a
    dead client's backend a moment later, and the run's last test is followed by DROP DATABASE, which any
    session left would make fail."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)
