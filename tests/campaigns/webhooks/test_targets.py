"""Where webhooks may go: public http(s) addresses only, unless WEBHOOK_ALLOW_PRIVATE_TARGETS."""

import pytest

from campaigns.webhooks.targets import address_is_public, target_check, target_resolve
from privtraffic.tenancy.errors import ApplicationError

PRIVATE = [
    "http://127.0.0.1/hook", "http://127.8.9.10:8080/x", "http://localhost/hook", "http://10.1.2.3/",
    "http://172.16.0.1/", "http://192.168.1.20/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://240.0.0.1/", "http://100.64.0.1/", "http://[::1]/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[2002:7f00:1::]/",
    "http://2130706433/", "http://0x7f000001/", "http://127.1/",
]
MALFORMED = ["", "ftp://93.184.215.14/", "javascript:alert(1)", "//93.184.215.14/", "http:///x",
             "https://user:pw@93.184.215.14/", "https://93.184.215.14/a b", "https://93.184.215.14/\x00",
             "https://93.184.215.14:99999/", "https://93.184.215.14/#frag", "https://" + "a" * 2000 + ".com/",
             "http://93.184.215.14/\n", None, 12, ["https://93.184.215.14/"]]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_loopback_and_reserved_targets_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ApplicationError) as refused:
        target_check(url)
    assert refused.value.code == "webhook_target_refused" and refused.value.status == 400
    assert refused.value.fields["url"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8001/hook", "http://localhost/hook", "http://[::1]/"])
def test_the_setting_allows_them(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert target_check(url) == url
    assert target_resolve(url).addresses


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_whatever_the_setting(url, settings):
    for allowed in (False, True):
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allowed
        with pytest.raises(ApplicationError) as refused:
            target_check(url)
        assert refused.value.code == "webhook_target_refused"


def test_public_addresses_pass_and_the_connection_is_pinned_to_them(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    target = target_resolve("https://93.184.215.14:8443/hooks?x=1")
    assert (target.scheme, target.host, target.port, target.path) == ("https", "93.184.215.14", 8443, "/hooks?x=1")
    assert target.addresses == ("93.184.215.14",)
    assert address_is_public("2606:4700:4700::1111")
    assert not address_is_public("::ffff:192.168.0.1")
