"""Connecting a socket costs a constant number of queries, however many conversations its identity sees.

A token socket (an integrator's app) and a session socket (a browser) are connected until `ready`, once for an
identity that sees one or two conversations and once for one that sees many more; every query of the connect
path (the auth middleware's session and user reads included) is counted, on whichever thread it runs: the
connect reads run on the executor's pool (a fresh pool per count, so each of its threads opens its connection
while watched) and the rest on the one thread-sensitive thread (watched directly).
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from django.db.backends.signals import connection_created

from chats.realtime.tokens import chat_token_issue
from chats.services import conversation_for_customer, conversation_for_group
from communities.groups.services import group_member_add
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.chats.conftest import communicator, disconnect_within, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

# Token socket: the token, then (after the per-user groups are joined) the token once more and the visible set.
TOKEN_CONNECT_QUERIES = 3
# Session socket: the session and its user (the auth middleware), memberships, customer records, visible set.
SESSION_CONNECT_QUERIES = 5


def _customer_in_groups(slug: str, groups: int) -> dict:
    brand = factories.make_brand(slug)
    rep = factories.make_member(brand, Role.REP)
    owner = factories.make_member(brand, Role.OWNER)
    customer = factories.make_customer(brand, "Mei Lin", assigned_rep=rep)
    conversation_for_customer(customer=customer)
    system = factories.system(brand)
    for i in range(groups):
        group = factories.make_group(brand, f"Club {i}", store=rep.store)
        conversation_for_group(group=group)
        group_member_add(group=group, actor=system, customer=customer)
    token, _ = chat_token_issue(customer=customer, actor=system)
    return {"token": token, "owner": owner.user, "rep": rep.user, "conversations": groups + 1}


class QueryLog:
    """Every SQL statement run, while it is active, on the thread-sensitive thread's connection and on every
    connection opened meanwhile (the executor pool's threads, fresh for each count)."""

    def __init__(self):
        self.sql: list[str] = []
        self.lock = threading.Lock()
        self.watched = []

    def _record(self, execute, sql, params, many, context):
        with self.lock:
            self.sql.append(sql)
        return execute(sql, params, many, context)

    def _watch(self, sender, connection, **kwargs):
        with self.lock:
            if self._record not in connection.execute_wrappers:
                connection.execute_wrappers.append(self._record)
                self.watched.append(connection)

    async def __aenter__(self):
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="connect-count")
        asyncio.get_running_loop().set_default_executor(self.pool)
        connection_created.connect(self._watch, dispatch_uid="test-connect-query-log")
        await database_sync_to_async(lambda: self._watch(None, connections["default"]))()
        return self

    async def __aexit__(self, *exc):
        connection_created.disconnect(dispatch_uid="test-connect-query-log")
        for connection in self.watched:
            connection.execute_wrappers.remove(self._record)
        # The pool's threads end with the pool: close the connections they opened (from a plain thread: not
        # from the event loop), or the test database could not be dropped at the end of the session.
        await asyncio.to_thread(self._close_watched)
        self.pool.shutdown(wait=False)

    def _close_watched(self) -> None:
        for connection in self.watched:
            connection.inc_thread_sharing()
            try:
                connection.close()
            finally:
                connection.dec_thread_sharing()


async def _count_connect_queries(**socket) -> tuple[int, dict, list[str]]:
    """Queries run from the handshake to `ready`."""
    comm = await communicator(**socket)  # (a browser's session is made before counting starts)
    async with QueryLog() as log:
        try:
            connected, _ = await comm.connect(timeout=10)
            assert connected
            ready = await receive_until(comm, "ready", timeout=10)
        finally:
            await disconnect_within(comm)
    return len(log.sql), ready, log.sql


async def test_token_socket_connects_in_the_same_few_queries_for_two_or_twenty_conversations():
    few = await database_sync_to_async(_customer_in_groups)("few", 1)
    many = await database_sync_to_async(_customer_in_groups)("many", 19)

    few_count, few_ready, few_sql = await _count_connect_queries(token=few["token"])
    many_count, many_ready, many_sql = await _count_connect_queries(token=many["token"])

    assert len(few_ready["conversations"]) == 2
    assert len(many_ready["conversations"]) == 20
    assert few_count == many_count == TOKEN_CONNECT_QUERIES, many_sql


async def test_owner_and_rep_session_sockets_connect_in_a_constant_number_of_queries():
    few = await database_sync_to_async(_customer_in_groups)("few", 1)
    many = await database_sync_to_async(_customer_in_groups)("many", 19)

    counts = {}
    for name, world in (("few", few), ("many", many)):
        for role in ("owner", "rep"):
            count, ready, sql = await _count_connect_queries(user=world[role])
            assert len(ready["conversations"]) == world["conversations"], (name, role)
            counts[name, role] = count
            assert count <= SESSION_CONNECT_QUERIES, sql
    assert counts["few", "owner"] == counts["many", "owner"]
    assert counts["few", "rep"] == counts["many", "rep"]


async def test_a_bad_token_costs_one_query_and_a_4401():
    comm = await communicator(token="not-a-real-token-but-long-enough")
    async with QueryLog() as log:
        await comm.connect()
        assert (await comm.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
    assert len(log.sql) == 1, log.sql


async def test_a_connect_read_on_a_connection_that_died_while_idle_is_tried_once_more_on_a_new_one():
    """The connect reads skip the per-hop health check (a `SELECT 1` before every hop's first query): a
    persistent connection that died while idle (PostgreSQL restarted) fails the read, which runs again on a new
    connection, so the socket connects anyway."""
    from chats.models import Conversation
    from chats.realtime.consumers import _read_on_pool_thread

    await database_sync_to_async(_customer_in_groups)("dead", 1)

    def run() -> tuple[int, bool]:
        connection = connections["default"]
        connection.ensure_connection()
        dead = connection.connection
        dead.close()  # what the client end sees of a server that went away
        try:
            count = _read_on_pool_thread(Conversation.objects.count, (), {})
            return count, connection.connection is not dead
        finally:
            connection.close()

    assert await asyncio.to_thread(run) == (2, True)
