"""Each vault adapter against a stand-in of its vendor CLI: exact argv, parsed results."""

from __future__ import annotations

import base64

import pytest

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.vault import fetch
from tests.unit.secrets.vendor import Vendor

OP_FIELD = {"reference": "op://Vault/Item/password", "value": "pw"}


def test_1password_fields_by_item_after_a_login_check(vendor: Vendor) -> None:
    vendor.on("op", "--version", stdout="2.30.0\n")
    vendor.on("op", "account", "get", "--account", "acme", exit=1)
    vendor.on("op", "signin", "--account", "acme", "--force", "--raw", stdout="tok\n")
    base = ["--vault", "Vault", "--format", "json", "--account", "acme", "--session", "tok"]
    two = [{"reference": "op://Vault/Item/A", "value": "a"}, {**OP_FIELD}]
    vendor.on("op", "item", "get", "Item", *base, "--fields", "label=A,label=password", stdout=two)
    db = {"reference": "op://Vault/Db/sec/url", "value": "u"}
    vendor.on("op", "item", "get", "Db", *base, "--fields", "label=sec.url", stdout=db)
    names = ["Vault/Item/A", "Vault/Item", "op://Vault/Db/sec/url"]
    got = fetch("1password", names, account="acme", from_=None)
    assert got == {"Vault/Item/A": "a", "Vault/Item": "pw", "Vault/Db/sec/url": "u"}
    assert vendor.calls() == [
        ["op", "--version"],
        ["op", "account", "get", "--account", "acme"],
        ["op", "signin", "--account", "acme", "--force", "--raw"],
        ["op", "item", "get", "Item", *base, "--fields", "label=A,label=password"],
        ["op", "item", "get", "Db", *base, "--fields", "label=sec.url"],
    ]


def test_1password_all_fields_of_the_from_item(vendor: Vendor) -> None:
    vendor.on("op", "--version")
    vendor.on("op", "account", "get", "--account", "acme")
    item = {"fields": [OP_FIELD, {"reference": "op://Vault/Item/user", "value": "me"}]}
    argv = ["--vault", "Vault", "--format", "json", "--account", "acme"]
    vendor.on("op", "item", "get", "Item", *argv, stdout=item)
    got = fetch("1password", [], account="acme", from_="op://Vault/Item")
    assert got == {"Vault/Item": "pw", "Vault/Item/user": "me"}


def test_1password_read_failure_names_fields_item_and_vault(vendor: Vendor) -> None:
    vendor.on("op", "--version")
    vendor.on("op", "account", "get", "--account", "acme")
    with pytest.raises(SecretsError, match=r"^Could not read A from Item in the Vault 1Password"):
        fetch("1password", ["A"], account="acme", from_="Vault/Item")


def test_an_adapter_that_needs_an_account_says_so(vendor: Vendor) -> None:
    with pytest.raises(UsageError, match="needs --account"):
        fetch("1password", ["A"], account=None, from_=None)
    assert vendor.calls() == []


def test_a_missing_vendor_cli_is_named(vendor: Vendor) -> None:
    with pytest.raises(SecretsError, match=r"^LastPass CLI is not installed \(`lpass` not found"):
        fetch("lastpass", ["A"], account="me@x", from_=None)


def test_bitwarden_logs_in_unlocks_syncs_and_reads_items(vendor: Vendor) -> None:
    vendor.on("bw", "--version")
    vendor.on("bw", "status", stdout={"status": "locked"}, session=None)
    vendor.on("bw", "status", stdout={"status": "unlocked"}, session="sess")
    vendor.on("bw", "unlock", "--raw", stdout="sess\n")
    vendor.on("bw", "sync", session="sess")
    login = {"login": {"password": "pw"}}
    fields = {"fields": [{"name": "f1", "value": "v1"}, {"name": "f2", "value": "v2"}]}
    vendor.on("bw", "get", "item", "Login", stdout=login, session="sess")
    vendor.on("bw", "get", "item", "Fields", stdout=fields, session="sess")
    got = fetch("bitwarden", ["Login", "Fields/f2"], account="me@x", from_=None)
    assert got == {"Login": "pw", "Fields/f2": "v2"}
    assert vendor.calls() == [
        ["bw", "--version"],
        ["bw", "status"],
        ["bw", "unlock", "--raw"],
        ["bw", "status"],
        ["bw", "sync"],
        ["bw", "get", "item", "Login"],
        ["bw", "get", "item", "Fields"],
    ]
    assert vendor.sessions() == [None, None, None, "sess", "sess", "sess", "sess"]


def test_bitwarden_logs_in_when_unauthenticated(vendor: Vendor) -> None:
    vendor.on("bw", "--version")
    vendor.on("bw", "status", stdout={"status": "unauthenticated"})
    vendor.on("bw", "login", "me@x")
    with pytest.raises(SecretsError, match=r"^Failed to login to and unlock Bitwarden$"):
        fetch("bitwarden", ["I/f"], account="me@x", from_=None)
    assert vendor.calls()[1:] == [["bw", "status"], ["bw", "login", "me@x"], ["bw", "status"]]


def test_bitwarden_secrets_manager(vendor: Vendor) -> None:
    vendor.on("bws", "--version")
    vendor.on("bws", "project", "list", stdout="[]")
    vendor.on("bws", "secret", "get", "uuid-1", stdout={"key": "A", "value": "a"})
    vendor.on("bws", "secret", "list", "proj", stdout=[{"key": "B", "value": "b"}])
    assert fetch("bitwarden-sm", ["uuid-1"], account=None, from_=None) == {"A": "a"}
    assert fetch("bitwarden-sm", ["all"], account=None, from_="proj") == {"B": "b"}
    assert vendor.calls()[-1] == ["bws", "secret", "list", "proj"]
    with pytest.raises(SecretsError, match="You must specify what to retrieve"):
        fetch("bitwarden-sm", [], account=None, from_=None)


def test_lastpass_logs_in_unless_logged_in_and_shows_json(vendor: Vendor) -> None:
    vendor.on("lpass", "--version")
    vendor.on("lpass", "status", "--color", "never", stdout="Not logged in.\n")
    vendor.on("lpass", "login", "me@x")
    items = [{"fullname": "Folder/A", "password": "a"}, {"fullname": "Folder/B", "password": "b"}]
    vendor.on("lpass", "show", "Folder/A", "Folder/B", "--json", stdout=items)
    got = fetch("lastpass", ["A", "B"], account="me@x", from_="Folder")
    assert got == {"Folder/A": "a", "Folder/B": "b"}
    assert ["lpass", "login", "me@x"] in vendor.calls()


def test_aws_flattens_json_secrets_and_reports_errors(vendor: Vendor) -> None:
    vendor.on("aws", "--version")
    values = [
        {"Name": "app/db", "SecretString": '{"user": "u", "port": 5432}'},
        {"Name": "app/key", "SecretString": "plain"},
    ]
    argv = ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list"]
    vendor.on(*argv, "app/db", "app/key", "--profile", "prod", "--output", "json",
              stdout={"SecretValues": values, "Errors": []})  # fmt: skip
    got = fetch("aws_secrets_manager", ["db", "key"], account="prod", from_="app")
    assert got == {"app/db/user": "u", "app/db/port": "5432", "app/key": "plain"}
    errors = {"SecretValues": [], "Errors": [{"SecretId": "x", "Message": "not found"}]}
    vendor.on(*argv, "x", "--output", "json", stdout=errors)
    with pytest.raises(SecretsError, match=r"^x: not found$"):
        fetch("aws_secrets_manager", ["x"], account=None, from_=None)


def test_aws_parameter_store_decrypts_in_batches_of_ten_and_names_the_missing(
    vendor: Vendor,
) -> None:
    vendor.on("aws", "--version")
    names = [f"K{n}" for n in range(12)]
    argv = ["aws", "ssm", "get-parameters", "--names"]
    first = [{"Name": f"/otto/prod/K{n}", "Value": f"v{n}", "Type": "SecureString"}
             for n in range(10)]  # fmt: skip
    vendor.on(*argv, *(f"/otto/prod/K{n}" for n in range(10)), "--with-decryption",
              "--profile", "prod", "--output", "json",
              stdout={"Parameters": first, "InvalidParameters": []})  # fmt: skip
    rest = [{"Name": f"/otto/prod/K{n}", "Value": f"v{n}", "Type": "String"} for n in (10, 11)]
    answer = {"Parameters": rest, "InvalidParameters": []}
    vendor.on(*argv, "/otto/prod/K10", "/otto/prod/K11", "--with-decryption", "--profile",
              "prod", "--output", "json", stdout=answer)  # fmt: skip
    got = fetch("aws_parameter_store", names, account="prod", from_="/otto/prod")
    assert got == {f"/otto/prod/K{n}": f"v{n}" for n in range(12)}
    missing = {"Parameters": [], "InvalidParameters": ["/otto/x"]}
    vendor.on(*argv, "/otto/x", "--with-decryption", "--output", "json", stdout=missing)
    with pytest.raises(SecretsError, match=r"^/otto/x: no such parameter in AWS Systems Manager"):
        fetch("aws_ssm", ["/otto/x"], account=None, from_=None)


def test_gcp_reads_versions_with_account_and_impersonation(vendor: Vendor) -> None:
    vendor.on("gcloud", "--version")
    vendor.on("gcloud", "auth", "list", "--format=json", stdout=[{"account": "me@x"}])
    data = {"payload": {"data": base64.b64encode(b"s3").decode()}}
    vendor.on("gcloud", "secrets", "versions", "access", "latest", "--secret=db",
              "--account=me@x", "--impersonate-service-account=sa@x", "--format=json",
              stdout=data)  # fmt: skip
    vendor.on("gcloud", "secrets", "versions", "access", "7", "--secret=key",
              "--project=proj", "--account=me@x", "--impersonate-service-account=sa@x",
              "--format=json", stdout=data)  # fmt: skip
    got = fetch("gcp", ["db", "proj/key/7"], account="me@x|sa@x", from_=None)
    assert got == {"default/db": "s3", "proj/key": "s3"}


def test_doppler_project_and_config_from_from(
    vendor: Vendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOPPLER_TOKEN", raising=False)
    vendor.on("doppler", "--version")
    vendor.on("doppler", "me", "--json")
    answer = {"A": {"computed": "a", "raw": "a"}, "B": {"computed": "b"}}
    vendor.on("doppler", "secrets", "get", "A", "B", "--json", "-p", "app", "-c", "prd",
              stdout=answer)  # fmt: skip
    assert fetch("doppler", ["A", "B"], account=None, from_="app/prd") == {"A": "a", "B": "b"}
    with pytest.raises(SecretsError, match="Missing project or config"):
        fetch("doppler", ["A"], account=None, from_=None)
    monkeypatch.setenv("DOPPLER_TOKEN", "dp.st.xyz")
    vendor.on("doppler", "secrets", "get", "A", "--json", stdout={"A": {"computed": "t"}})
    assert fetch("doppler", ["A"], account=None, from_=None) == {"A": "t"}


def test_enpass_titles_and_labels(vendor: Vendor) -> None:
    vendor.on("enpass-cli", "version")
    items = [
        {"title": "App", "label": "DB", "password": "d"},
        {"title": "App", "label": "API", "password": "a"},
        {"title": "Other", "label": "", "password": "o"},
    ]
    vendor.on("enpass-cli", "-json", "-vault", "/v", "show", "App", "Other", stdout=items)
    got = fetch("enpass", ["App/DB", "Other"], account=None, from_="/v")
    assert got == {"App/DB": "d", "Other": "o"}


def test_passbolt_resolves_nested_folders(vendor: Vendor) -> None:
    vendor.on("passbolt", "--version")
    vendor.on("passbolt", "verify")
    vendor.on("passbolt", "list", "folders", "--filter", 'Name == "prod"', "--json",
              stdout=[{"id": "f1", "name": "prod", "folder_parent_id": ""}])  # fmt: skip
    vendor.on("passbolt", "list", "folders", "--filter",
              'Name == "db" && FolderParentID == "f1"', "--json",
              stdout=[{"id": "f2", "name": "db", "folder_parent_id": "f1"}])  # fmt: skip
    condition = '(Name == "PW" && FolderParentID == "f2") || Name == "TOP"'
    vendor.on("passbolt", "list", "resources", "--filter", condition,
              "--folder", "f1", "--folder", "f2", "--json",
              stdout=[{"name": "PW", "password": "p"},
                      {"name": "TOP", "password": "t"}])  # fmt: skip
    assert fetch("passbolt", ["prod/db/PW", "TOP"], account=None, from_=None) == {
        "PW": "p",
        "TOP": "t",
    }


def test_the_test_adapter_reverses_names(vendor: Vendor) -> None:
    got = fetch("test", ["A", "bLPARENcRPAREN"], account="x", from_="V")
    assert got == {"V/A": "A/V", "V/bLPARENcRPAREN": ")c(b/V"}
    with pytest.raises(UsageError, match=r"^Unknown secrets adapter: nope"):
        fetch("nope", [], account="x", from_=None)


def test_vendor_failure_shows_its_stderr(vendor: Vendor) -> None:
    vendor.on("lpass", "--version")
    vendor.on("lpass", "status", "--color", "never", stdout="Logged in as me@x.\n")
    vendor.on(
        "lpass",
        "show",
        "A",
        "--json",
        exit=1,
        stderr="Error: Could not find specified account(s).\n",
    )
    with pytest.raises(
        SecretsError, match=r"^Could not read A from LastPass: Error: Could not find"
    ):
        fetch("lastpass", ["A"], account="me@x", from_=None)
