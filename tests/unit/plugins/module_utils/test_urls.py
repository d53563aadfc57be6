# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import (
    is_loopback,
    normalize_api_url,
    normalize_site_url,
    path_segment,
    redact_url,
    scrub,
)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.5.6.7", "::1", "[::1]", "api.localhost"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["", None, "example.com", "10.0.0.1", "127.0.0.1.example.com", "localhost.evil.com"])
def test_non_loopback_hosts(host):
    assert not is_loopback(host)


def test_api_url_https_kept_without_trailing_slash():
    assert normalize_api_url("https://api.atlassian.com/") == "https://api.atlassian.com"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9/", "http://[::1]:80"])
def test_plain_http_allowed_for_loopback(url):
    assert normalize_api_url(url).startswith("http://")


@pytest.mark.parametrize("url", ["http://api.atlassian.com", "http://10.1.2.3:8080"])
def test_plain_http_refused_elsewhere(url):
    with pytest.raises(InvalidParameterError) as info:
        normalize_api_url(url)
    assert "plain http" in str(info.value)


@pytest.mark.parametrize("url", ["", "api.atlassian.com", "ftp://x.example", "https://", "https://host:notaport", "https://h/x?q=1"])
def test_bad_api_urls_refused(url):
    with pytest.raises(InvalidParameterError) as info:
        normalize_api_url(url)
    assert "api_url" in str(info.value)


def test_site_url_strips_trailing_slash_and_names_option():
    assert normalize_site_url("https://jira.example.com/", "source_url") == "https://jira.example.com"
    assert normalize_site_url("https://example.com/jira//", "source_url") == "https://example.com/jira"
    with pytest.raises(InvalidParameterError) as info:
        normalize_site_url("jira.example.com", "source_url")
    assert "source_url" in str(info.value)


def test_redact_url_drops_query_and_credentials():
    assert redact_url("https://user:pw@s3.example.test:8443/b/k.csv?X-Amz-Signature=abc#f") == "https://s3.example.test:8443/b/k.csv"


def test_scrub_removes_query_strings_from_text():
    text = "HTTPSConnectionPool: Max retries exceeded with url: /b/k?X-Amz-Signature=abc123 (Caused by x)"
    assert "abc123" not in scrub(text)
    assert "/b/k?<redacted>" in scrub(text)


def test_scrub_leaves_xml_declarations_alone():
    text = "<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error> GET /s3/k?X-Amz-Signature=zz9"
    assert scrub(text).startswith("<?xml version='1.0'?>") and "zz9" not in scrub(text)


@pytest.mark.parametrize("url", ["A://: ", "ftp://host:port/x", "https://[::1"])
def test_malformed_urls_are_refused_cleanly(url):
    with pytest.raises(InvalidParameterError):
        normalize_api_url(url)
    assert redact_url(url) in ("<unparsable URL>",) or "://" in redact_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-secret@example.atlassian.net",
        "https://hunter2-secret@example.atlassian.net/",
        "user:hunter2-secret@host",
        "https://u:hunter2-secret/x@h",
    ],
)
@pytest.mark.parametrize("check", [normalize_api_url, lambda url: normalize_site_url(url, "source_url")])
def test_user_info_is_refused_naming_the_option_never_the_password(url, check):
    with pytest.raises(InvalidParameterError) as info:
        check(url)
    assert "hunter2" not in str(info.value)
    assert ("api_url" if check is normalize_api_url else "source_url") in str(info.value)


@pytest.mark.parametrize(
    "value,quoted", [("0bacecde-372e", "0bacecde-372e"), ("../../x?y=", "..%2F..%2Fx%3Fy%3D"), ("a/b#c", "a%2Fb%23c"), ("...", "...")]
)
def test_path_segment_quotes_everything_into_one_segment(value, quoted):
    assert path_segment(value, "job_id") == quoted


@pytest.mark.parametrize("value", ["", " ", ".", "..", None, "a\nb", "job\x00", "x\x7f"])
def test_path_segment_refuses_dot_segments_empty_and_control_characters(value):
    with pytest.raises(InvalidParameterError) as info:
        path_segment(value, "task_id")
    assert "task_id" in str(info.value)
