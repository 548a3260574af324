"""The mail settings of a target list: mail_domain and dns_server, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from tlsreport.targets import TargetListError, load_target_list

HEAD = 'title = "Mail"\nscan = true\n'
TARGET = '\n[[target]]\nhost = "mail.example.org"\nservice = "submission"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mail.toml"
    path.write_text(text)
    return path


def test_mail_settings_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEAD + 'mail_domain = "Example.ORG"\ndns_server = "127.0.0.1:5353"\n' + TARGET
    )
    loaded = load_target_list(path)
    assert (loaded.mail_domain, loaded.dns_server) == ("example.org", "127.0.0.1:5353")
    assert loaded.targets[0].port == 587


def test_settings_default_to_none(tmp_path: Path) -> None:
    loaded = load_target_list(_write(tmp_path, HEAD + TARGET))
    assert (loaded.mail_domain, loaded.dns_server) == (None, None)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('dns_server = "ns1.example.org"', "mail.toml:3: dns_server: 'ns1.example.org': not an IP"),
        ('dns_server = "127.0.0.1:0"', "mail.toml:3: dns_server: '127.0.0.1:0': port must be"),
        ("dns_server = 53", "mail.toml:3: dns_server: 53 is not a string"),
        (
            'mail_domain = "https://example.org/"',
            "mail.toml:3: mail_domain: 'https://example.org/' is not a domain name",
        ),
    ],
)
def test_bad_mail_settings_name_file_line_field(tmp_path: Path, line: str, words: str) -> None:
    with pytest.raises(TargetListError) as caught:
        load_target_list(_write(tmp_path, HEAD + line + "\n" + TARGET))
    assert words in str(caught.value)
