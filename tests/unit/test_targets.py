"""Target lists: values, defaults, and errors that name file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tlsreport.targets import (
    SERVICES,
    TargetListError,
    load_target_list,
    load_target_lists,
)

GOOD = """\
title = "Belgian banks"
scan = true
ca_file = "ca.pem"

[[target]]
name = "ING"
host = "www.ing.be"
path = "/login"
address = "127.0.0.1"
group = "bank"
added = 2015-02-18
note = "login page moved in 2015"

[[target]]
host = "mail.example.be"
service = "smtp"
group = ["mail", "bank"]
"""


def write(tmp_path: Path, text: str, name: str = "banks.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (tmp_path / "ca.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    )
    return path


def test_good_list_gives_targets_with_defaults(tmp_path: Path) -> None:
    tl = load_target_list(write(tmp_path, GOOD))
    assert tl.title == "Belgian banks"
    assert tl.slug == "banks"  # from the file name
    assert tl.scan is True
    assert tl.ca_file == (tmp_path / "ca.pem").resolve()
    ing, mail = tl.targets
    assert (ing.name, ing.host, ing.port, ing.service, ing.path) == (
        "ING",
        "www.ing.be",
        443,
        "https",
        "/login",
    )
    assert ing.address == "127.0.0.1" and ing.group == ("bank",)
    assert ing.added == date(2015, 2, 18) and ing.line == 5
    assert (mail.name, mail.port, mail.service, mail.group) == (
        "mail.example.be",
        25,
        "smtp",
        ("mail", "bank"),
    )
    ref = ing.ref()
    assert ref.key == "www.ing.be:443/https" and ref.path == "/login"


def test_scan_defaults_to_false_so_archives_never_connect(tmp_path: Path) -> None:
    tl = load_target_list(write(tmp_path, 'title = "Old"\nslug = "old-list"\n'))
    assert tl.scan is False and tl.slug == "old-list" and tl.targets == ()


def test_services_have_their_default_ports() -> None:
    assert SERVICES == {
        "https": 443,
        "smtp": 25,
        "submission": 587,
        "smtps": 465,
        "imap": 143,
        "imaps": 993,
        "pop3": 110,
        "pop3s": 995,
    }


def error_for(tmp_path: Path, text: str) -> TargetListError:
    path = write(tmp_path, text)
    with pytest.raises(TargetListError) as info:
        load_target_list(path)
    err = info.value
    assert err.file == path
    assert str(err).startswith(f"{path}:")
    return err


def test_unknown_top_level_key_names_line_and_field(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'title = "x"\nscna = true\n')
    assert (err.line, err.field) == (2, "scna")
    assert str(err) == f"{err.file}:2: scna: unknown key — " + err.hint


def test_unknown_target_key_names_line_and_field(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'title = "x"\n[[target]]\nhost = "a.test"\nprot = 443\n')
    assert (err.line, err.field) == (4, "target[1].prot")


def test_missing_host_points_at_the_target_table(tmp_path: Path) -> None:
    text = 'title = "x"\n[[target]]\nhost = "a.test"\n\n[[target]]\nname = "B"\n'
    err = error_for(tmp_path, text)
    assert (err.line, err.field, err.message) == (5, "target[2].host", "missing")


@pytest.mark.parametrize("port", ["0", "70000", '"abc"', "true", "-1"])
def test_a_bad_port_is_an_error_at_its_line_and_field(tmp_path: Path, port: str) -> None:
    err = error_for(tmp_path, f'title = "x"\n[[target]]\nhost = "a.test"\nport = {port}\n')
    assert (err.line, err.field) == (4, "target[1].port")
    assert "port number" in err.message


def test_an_unknown_service_is_an_error_that_lists_the_known_ones(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[[target]]\nhost = "a.test"\nservice = "ftp"\n')
    assert (err.line, err.field) == (3, "target[1].service")
    assert "smtp" in err.hint


def test_a_duplicate_host_and_port_is_an_error_naming_the_first_target(tmp_path: Path) -> None:
    text = (
        '[[target]]\nname = "A"\nhost = "a.test"\n'
        '[[target]]\nname = "B"\nhost = "A.test"\nport = 443\n'
    )
    err = error_for(tmp_path, text)
    assert (err.line, err.field) == (4, "target[2].host")
    assert "duplicate" in err.message and "target[1]" in err.message


def test_a_duplicate_target_name_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = '[[target]]\nname = "A"\nhost = "a.test"\n[[target]]\nname = "A"\nhost = "b.test"\n'
    err = error_for(tmp_path, text)
    assert (err.line, err.field) == (5, "target[2].name")


def test_a_missing_ca_file_is_an_error(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'title = "x"\nca_file = "nope.pem"\n')
    assert (err.line, err.field) == (2, "ca_file")
    assert "does not exist" in err.message


def test_ca_file_that_is_not_pem(tmp_path: Path) -> None:
    path = write(tmp_path, 'title = "x"\nca_file = "ca.pem"\n')
    (tmp_path / "ca.pem").write_text("hello\n")
    with pytest.raises(TargetListError) as info:
        load_target_list(path)
    assert (info.value.line, info.value.field) == (2, "ca_file")
    assert "no PEM certificate" in info.value.message


def test_toml_syntax_error_gives_the_parser_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'title = "x"\n[[target]]\nhost = www.ing.be\n')
    assert (err.line, err.field) == (3, "toml")


@pytest.mark.parametrize(
    ("line", "field", "needle"),
    [
        ('address = "localhost"', "address", "IP address"),
        ("added = 2015-02-18T10:00:00", "added", "date"),
        ('path = "login"', "path", "start with"),
        ("group = 3", "group", "string"),
    ],
)
def test_other_field_errors(tmp_path: Path, line: str, field: str, needle: str) -> None:
    err = error_for(tmp_path, f'[[target]]\nhost = "a.test"\n{line}\n')
    assert (err.line, err.field) == (3, f"target[1].{field}")
    assert needle in err.message


def test_path_only_for_https(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[[target]]\nhost = "a.test"\nservice = "imap"\npath = "/x"\n')
    assert err.field == "target[1].path"


def test_load_target_lists_sorted_by_slug_and_slugs_unique(tmp_path: Path) -> None:
    write(tmp_path, 'slug = "zz"\n', "a.toml")
    write(tmp_path, 'title = "B"\n', "b.toml")
    assert [t.slug for t in load_target_lists(tmp_path)] == ["b", "zz"]
    write(tmp_path, 'slug = "b"\n', "c.toml")
    with pytest.raises(TargetListError) as info:
        load_target_lists(tmp_path)
    assert info.value.field == "slug" and info.value.file == tmp_path / "c.toml"
