"""No key is silently ignored: every key path of the schema is either honoured, with the tests
that show its effect, or in config/unsupported.py's NOT_SUPPORTED, which a config that sets it
hears about once, as a warning, when it loads.

A key added to the schema fails test_every_key_is_honoured_or_reported until it joins a table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dockyard.config import parse_config
from dockyard.config.schema import SECTIONS
from dockyard.config.unsupported import NOT_SUPPORTED, PROXY_KEYS

ROOT = Path(__file__).resolve().parents[3]
# Special kinds whose nested keys are a schema section of their own.
NESTED = {"roles": "role", "accessories": "accessory", "proxy": "proxy", "registry": "registry"}
PLACE = {"roles": "servers/<role>/", "accessories": "accessories/<name>/"}

EFFECTS = "tests/unit/plan/test_key_effects.py::"
SWARM_CONFIG = "tests/unit/config/test_swarm.py::"
SWARM_STACK = "tests/unit/plan/test_swarm.py::test_swarm_settings_reach_the_services"
OBJECTS = "tests/unit/config/test_objects.py::"
VALIDATION = "tests/unit/config/test_validation.py::test_rejection"
FROM_CONFIG = "tests/unit/plan/test_from_config.py::"
BUILD = "tests/unit/plan/test_build.py::test_the_build_spec_from_a_config"
COMMANDS_BUILD = "tests/unit/commands/test_build.py::"
BUILDX = COMMANDS_BUILD + "test_buildx_build_loads_the_image_and_passes_buildkit_options"
SSH = "tests/unit/ssh/test_options.py::test_every_kamal_key_is_read"
ROUTE = EFFECTS + "test_proxy_settings_reach_the_route_and_the_health_check"
PROXY_RUN = EFFECTS + "test_proxy_run_and_x_dockyard_proxy_reach_the_proxy_container"
ACCESSORY = EFFECTS + "test_accessory_settings_reach_its_container"
ACCESSORY_PROXY = "tests/unit/plan/test_accessory_proxy.py::"
ACCESSORY_ROUTE = (
    ACCESSORY_PROXY + "test_a_proxied_accessory_dials_its_container_by_name_with_its_own_settings"
)
ACCESSORY_RUN = EFFECTS + "test_a_proxied_accessory_alone_sets_how_the_proxy_runs"
CONTAINER = EFFECTS + "test_role_settings_reach_the_app_container"
FIRST_DEPLOY = FROM_CONFIG + "test_roles_per_host_primary_first_with_container_route_and_env_file"
DEPLOY_LOGS = "tests/unit/test_deploy_logs.py::"
OTLP = DEPLOY_LOGS + "test_otel_sends_the_commands_lines_to_an_otlp_receiver"
CLI_LOG = DEPLOY_LOGS + "test_a_deploy_through_the_cli_logs_its_lines_and_how_it_failed"
LOG_FILE = DEPLOY_LOGS + "test_file_writes_one_log_per_command_as_kamal_names_it"

PLAN_BUILD = "tests/unit/plan/test_build.py::"
PLAN_BALANCER = "tests/unit/plan/test_balancer.py::"
BALANCER = PLAN_BALANCER + "test_the_edges_serve_each_proxied_role_from_its_web_hosts_proxies"
NO_BALANCER = PLAN_BALANCER + "test_without_a_load_balancer_nothing_changes"
BACKUPS = "tests/unit/test_backup_settings.py::"
BACKUP_S3 = BACKUPS + "test_an_s3_target_with_its_defaults_and_every_key"
CRON_E2E = (
    "tests/e2e/cron/test_cron.py::"
    "test_every_tick_once_on_the_release_live_at_it_through_deploys_and_a_rollback"
)
CRON_SCRIPT = "tests/unit/cron/test_scheduler_script.py::"
CRON_PLAN = "tests/unit/plan/test_cron_plan.py::"
CRON_RESTART = CRON_SCRIPT + "test_every_tick_runs_once_with_a_record_through_a_restart"
CRON_ROLE = CRON_PLAN + "test_a_job_runs_with_its_roles_settings_on_its_host"
CRON_SWITCH = (
    CRON_PLAN + "test_the_last_trip_to_the_jobs_host_switches_the_pointer_with_the_releases_env"
)
CRON_TIMEOUT = CRON_SCRIPT + "test_a_timeout_stops_the_run_and_a_paused_job_does_not_run"
CRON_MISSED = CRON_SCRIPT + "test_missed_ticks_are_recorded_and_catch_up_runs_the_newest_once"
BOUNDED_STARTS = "tests/ssh/test_pool.py::test_connects_are_bounded_by_max_concurrent_starts"
CLASSIC_LIMITS = (
    COMMANDS_BUILD + "test_classic_docker_refuses_secrets_and_foreign_arches_naming_the_fixes"
)
SECRETS_STDIN = (
    COMMANDS_BUILD + "test_the_build_reads_secrets_from_stdin_and_always_removes_the_context"
)
REGISTRY_LOGIN = (
    "tests/unit/commands/test_registry.py::test_login_reads_the_password_from_standard_input"
)
REQUIRE_DESTINATION = (
    "tests/unit/config/test_loading.py::test_destination_merge_and_require_destination"
)
ALIAS = "tests/unit/config/test_config_command.py::test_alias_is_expanded_with_the_rest_appended"
SSH_DELIVERY = (
    "tests/unit/workflows/test_deploy_failures.py::"
    "test_a_successful_deploy_takes_7_round_trips_on_the_primary_and_6_on_others"
)
ASSET_VOLUME = FROM_CONFIG + "test_a_proxied_role_with_an_asset_path_mounts_its_version_volume"
ASSET_STEPS = (
    "tests/unit/workflows/test_deploy_scenarios.py::test_the_happy_path_runs_exactly_these_steps"
)
PROXY_PLACES = ("proxy/", "servers/<role>/proxy/", "accessories/<name>/proxy/")

# A proxy section's keys, relative to it: the same code reads them at the root, per role (merged
# over the root's) and per accessory.
PROXY_HONOURED: dict[str, tuple[str, ...]] = {
    "host": (ROUTE, ACCESSORY_ROUTE),
    "hosts": (ROUTE, ACCESSORY_RUN),
    "app_port": (ROUTE, ACCESSORY_ROUTE),
    "ssl": (
        ROUTE,
        ACCESSORY_PROXY + "test_a_custom_certificate_is_one_bundle_under_the_route_name",
    ),
    "ssl_redirect": (
        ROUTE,
        "tests/unit/commands/test_caddy_config.py::test_ssl_without_redirect_is_also_served_over_http",
    ),
    "forward_headers": (ROUTE,),
    "response_timeout": (ROUTE, ACCESSORY_ROUTE),
    "path_prefix": (ROUTE, ACCESSORY_ROUTE),
    "path_prefixes": (ROUTE,),
    "strip_path_prefix": (ROUTE,),
    "healthcheck": (ROUTE, ACCESSORY_ROUTE),
    "healthcheck/interval": (ROUTE, ACCESSORY_ROUTE),
    "healthcheck/path": (ROUTE, ACCESSORY_ROUTE),
    "healthcheck/timeout": (ROUTE, ACCESSORY_ROUTE),
    "buffering": (ROUTE,),
    "buffering/requests": (ROUTE,),
    "buffering/responses": (ROUTE,),
    "buffering/max_request_body": (ROUTE,),
    "run": (PROXY_RUN, ACCESSORY_RUN),
    "run/http_port": (PROXY_RUN, ACCESSORY_RUN),
    "run/https_port": (PROXY_RUN, ACCESSORY_RUN),
    "run/publish": (PROXY_RUN,),
    "run/bind_ips": (PROXY_RUN,),
    "run/log_max_size": (PROXY_RUN,),
    "run/options": (PROXY_RUN,),
}

HONOURED: dict[str, tuple[str, ...]] = {
    "service": (FIRST_DEPLOY,),
    "image": (FIRST_DEPLOY,),
    "labels": (CONTAINER,),
    "volumes": (CONTAINER,),
    "registry": (FIRST_DEPLOY,),
    "registry/server": (FIRST_DEPLOY, BUILD),
    "registry/username": (REGISTRY_LOGIN,),
    "registry/password": (OBJECTS + "test_every_secret_name_the_config_uses",),
    "servers": (FIRST_DEPLOY,),
    "servers/<role>/hosts": (FIRST_DEPLOY, FROM_CONFIG + "test_selection_by_role_and_host"),
    "servers/<role>/cmd": (FIRST_DEPLOY,),
    "servers/<role>/options": (CONTAINER,),
    "servers/<role>/logging": (CONTAINER,),
    "servers/<role>/logging/driver": (OBJECTS + "test_labels_logging_and_cmd",),
    "servers/<role>/logging/options": (CONTAINER,),
    "servers/<role>/proxy": (ROUTE, OBJECTS + "test_proxy_only_for_primary_and_roles_that_ask"),
    "servers/<role>/labels": (CONTAINER,),
    "servers/<role>/env": (CONTAINER, OBJECTS + "test_env_per_host_merges_root_role_and_tags"),
    "servers/<role>/stop_timeout": (CONTAINER,),
    "servers/<role>/asset_path": (OBJECTS + "test_assets_only_for_proxied_roles_as_in_kamal",),
    "asset_path": (ASSET_VOLUME, ASSET_STEPS),
    "env": (FIRST_DEPLOY, OBJECTS + "test_tag_envs_apply_in_the_order_of_the_host_tags"),
    "hooks_path": (PROXY_RUN,),
    "secrets_path": ("tests/unit/secrets/test_cli.py::test_print_shows_key_equals_value",),
    "require_destination": (REQUIRE_DESTINATION,),
    "primary_role": (VALIDATION, OBJECTS + "test_roles_are_sorted_and_the_primary_is_web"),
    "allow_empty_roles": (VALIDATION,),
    "retain_containers": (PROXY_RUN,),
    "minimum_version": (VALIDATION,),
    "readiness_delay": (CONTAINER,),
    "deploy_timeout": (CONTAINER,),
    "drain_timeout": (CONTAINER, EFFECTS + "test_root_stop_timeout_and_its_defaults"),
    "stop_timeout": (EFFECTS + "test_root_stop_timeout_and_its_defaults",),
    "ssh": (SSH,),
    **{f"ssh/{key}": (SSH,) for key in ("user", "port", "proxy", "log_level", "keys_only",
                                        "keys", "key_data", "config", "forward_agent")},
    "ssh/proxy_command": ("tests/unit/ssh/test_options.py::test_proxy_command_tokens",),
    "builder": (BUILD,),
    "builder/arch": (BUILD, CLASSIC_LIMITS),
    "builder/remote": ("tests/unit/plan/test_build.py::test_remote_builder_addresses",),
    "builder/cache": (BUILD, BUILDX),
    "builder/cache/type": (BUILD,),
    "builder/cache/options": (BUILDX, PLAN_BUILD + "test_cache_options_and_image"),
    "builder/cache/image": ("tests/unit/plan/test_build.py::test_cache_options_and_image",),
    "builder/context": (BUILD,),
    "builder/dockerfile": (BUILD,),
    "builder/target": (BUILDX, PLAN_BUILD + "test_target_ssh_provenance_and_sbom"),
    "builder/args": (BUILD,),
    "builder/secrets": (BUILD, SECRETS_STDIN),
    "builder/ssh": ("tests/unit/plan/test_build.py::test_target_ssh_provenance_and_sbom",),
    "builder/provenance": ("tests/unit/plan/test_build.py::test_target_ssh_provenance_and_sbom",),
    "builder/sbom": ("tests/unit/plan/test_build.py::test_target_ssh_provenance_and_sbom",),
    "accessories": (ACCESSORY,),
    **{f"accessories/<name>/{key}": (ACCESSORY,) for key in (
        "service", "image", "registry", "registry/server", "registry/username",
        "registry/password", "host", "hosts", "role", "roles", "tag", "tags", "cmd", "port",
        "labels", "options", "env", "files", "directories", "volumes", "network")},
    "accessories/<name>/proxy": (ACCESSORY_ROUTE,),
    "sshkit": (SSH,),
    "sshkit/max_concurrent_starts": (SSH, BOUNDED_STARTS),
    "boot": (FROM_CONFIG + "test_boot_groups_and_the_pause_between_them",),
    "boot/limit": (FROM_CONFIG + "test_boot_groups_and_the_pause_between_them",),
    "boot/wait": (FROM_CONFIG + "test_boot_groups_and_the_pause_between_them",),
    "boot/parallel_roles": (PROXY_RUN,),
    "logging": (CONTAINER,),
    "logging/driver": (CONTAINER,),
    "logging/options": (CONTAINER,),
    "aliases": (ALIAS,),
    "output": (OTLP, LOG_FILE),
    "output/otel": (OTLP,),
    "output/otel/endpoint": (OTLP,),
    "output/file": (LOG_FILE, CLI_LOG),
    "output/file/path": (LOG_FILE,),
    "x-dockyard": (EFFECTS + "test_the_runtime_picks_the_engine_of_every_plan",),
    "x-dockyard/runtime": (EFFECTS + "test_the_runtime_picks_the_engine_of_every_plan",),
    "x-dockyard/delivery": (SSH_DELIVERY,),
    "x-dockyard/backend": (
        SWARM_CONFIG + "test_without_a_backend_the_app_deploys_over_ssh_with_swarm_defaults",
        "tests/unit/workflows/test_swarm_release.py::"
        "test_a_deploy_runs_under_the_lock_between_the_hooks",
        "tests/unit/workflows/test_session_swarm.py::test_deploy_and_rollback_choose_the_swarm",
    ),
    "x-dockyard/proxy": (PROXY_RUN,),
    "x-dockyard/proxy/image": (PROXY_RUN,),
    "x-dockyard/proxy/tls_issuer": (PROXY_RUN,),
    "x-dockyard/proxy/acme_email": (PROXY_RUN,),
    **{f"x-dockyard/swarm{key}": (SWARM_CONFIG + "test_every_key", SWARM_STACK) for key in (
        "", "/network", "/monitor", "/roles", "/roles/replicas", "/roles/placement",
        "/roles/parallelism")},
    "x-dockyard/backups": (BACKUPS + "test_defaults_and_every_key",),
    **{f"x-dockyard/backups/{key}": (BACKUPS + "test_defaults_and_every_key",) for key in (
        "kind", "schedule", "keep", "max_age", "target", "target/directory", "database",
        "user")},
    **{f"x-dockyard/backups/target/s3{key}": (BACKUP_S3,) for key in (
        "", "/endpoint", "/bucket", "/prefix", "/region", "/access_key_id",
        "/secret_access_key", "/path_style")},
    **{f"x-dockyard/backups/target/s3/{key}": (
        BACKUPS + "test_a_storage_class_goes_with_the_upload_or_to_backups_that_old",
        "tests/e2e/accessory/test_backup_s3_script.py::"
        "test_the_storage_class_goes_with_the_upload_or_to_backups_once_old_enough",
    ) for key in ("storage_class", "storage_class_after")},
    "x-dockyard/load_balancer": (BALANCER, NO_BALANCER),
    **{f"x-dockyard/load_balancer/{key}": (BALANCER,) for key in (
        "hosts", "http_port", "https_port", "try_duration", "acme_ca", "acme_ca_root",
        "renew_interval")},
    "x-dockyard/backups/encryption_key": (BACKUP_S3,),
    "x-dockyard/backups/verify_every": (
        "tests/unit/test_verify_record.py::"
        "test_a_passed_verify_is_shown_and_is_overdue_after_verify_every",
        "tests/e2e/compose/test_compose_stack.py::"
        "test_the_postgres_service_is_backed_up_to_the_store_restored_and_verified",
    ),
    "x-dockyard/backups/paths": (BACKUPS + "test_volume_backups_name_their_directories",),
    "x-dockyard/cron": (CRON_E2E,),
    "x-dockyard/images": (
        "tests/e2e/compose/test_compose_stack.py::test_setup_then_redeploys_under_load",
        "tests/unit/config/test_role_images.py::test_a_role_runs_its_own_image_at_the_app_version",
    ),
    "x-dockyard/cron/schedule": (CRON_E2E, CRON_RESTART),
    "x-dockyard/cron/command": (CRON_E2E,),
    "x-dockyard/cron/role": (CRON_ROLE,),
    "x-dockyard/cron/host": (CRON_ROLE, CRON_SWITCH),
    "x-dockyard/cron/concurrency": (CRON_SCRIPT + "test_a_run_longer_than_its_interval",),
    "x-dockyard/cron/timeout": (CRON_TIMEOUT,),
    "x-dockyard/cron/timezone": (CRON_SCRIPT + "test_the_fields_are_read_in_the_jobs_time_zone",),
    "x-dockyard/cron/catch_up": (CRON_MISSED,),
    **{f"{prefix}{key}": tests for prefix in PROXY_PLACES
       for key, tests in PROXY_HONOURED.items()},
    "proxy": (ROUTE, PROXY_RUN),
}  # fmt: skip


def schema_paths(
    section: str = "root", prefix: str = "", seen: tuple[str, ...] = ()
) -> Iterator[str]:
    for key, entry in SECTIONS[section].items():
        path = f"{prefix}{key}"
        yield path
        nested = entry.section or NESTED.get(entry.kind, "")
        if nested and nested not in seen:
            yield from schema_paths(nested, PLACE.get(entry.kind, f"{path}/"), (*seen, nested))


def not_supported(path: str) -> str | None:
    """The NOT_SUPPORTED entry that covers path (itself or a section above it)."""
    parts = path.split("/")
    return next(("/".join(parts[:n]) for n in range(len(parts), 0, -1)
                 if "/".join(parts[:n]) in NOT_SUPPORTED), None)  # fmt: skip


def test_every_key_is_honoured_or_reported() -> None:
    paths = list(schema_paths())
    assert len(paths) > 200  # the walk reaches roles, accessories and the three proxy sections
    neither = [p for p in paths if p not in HONOURED and not_supported(p) is None]
    both = [p for p in paths if p in HONOURED and not_supported(p) is not None]
    assert neither == [], "add each to HONOURED (with its tests) or to NOT_SUPPORTED"
    assert both == []
    assert (
        sorted(set(HONOURED) - set(paths)) == [] and sorted(set(NOT_SUPPORTED) - set(paths)) == []
    )


@cache
def functions_in(file: str) -> frozenset[str]:
    tree = ast.parse((ROOT / file).read_text())
    return frozenset(
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def test_each_honoured_key_names_tests_that_exist() -> None:
    missing = [
        (path, test) for path, tests in HONOURED.items() for test in tests
        if not (ROOT / test.split("::")[0]).is_file()
        or test.split("::")[1] not in functions_in(test.split("::")[0])
    ]  # fmt: skip
    assert missing == []
    assert all(tests for tests in HONOURED.values())


BASE: dict[str, Any] = {
    "service": "shop", "image": "team/shop", "builder": {"arch": "amd64"},
    "registry": {"server": "registry.lab:5000", "username": "u", "password": "p"},
    "servers": {"web": {"hosts": ["10.0.0.1"], "proxy": {"host": "web.test"}}},
    "proxy": {"host": "shop.test"},
    "accessories": {"db": {"image": "postgres:15", "host": "10.0.0.1",
                           "proxy": {"host": "db.test"}}},
}  # fmt: skip
SAMPLES = {
    "output": {"file": {"path": "log"}},
    "hooks_output": "quiet",
    "builder/local": True,
    "proxy/logging": {"request_headers": ["X"]},
    "x-dockyard/backend": "swarm",
}
KIND_SAMPLES = {"string": "x", "text": "x", "integer": 7, "boolean": True, "list": ["x"],
                "section": {}}  # fmt: skip


def entry_of(pattern: str) -> Any:
    parts = pattern.replace("<role>", "web").replace("<name>", "db").split("/")
    section, entry = "root", None
    for part in parts:
        if section in ("role", "accessory") and part in ("web", "db"):
            continue
        entry = SECTIONS[section][part]
        section = entry.section or NESTED.get(entry.kind, section)
    return entry


def config_with(pattern: str) -> dict[str, Any]:
    """BASE with the key the pattern names set to a value of its kind."""
    import copy

    doc = copy.deepcopy(BASE)
    parts = pattern.replace("<role>", "web").replace("<name>", "db").split("/")
    where = doc
    for part in parts[:-1]:
        where = where.setdefault(part, {})
    sample = SAMPLES.get(pattern.replace("servers/<role>/", "").replace("accessories/<name>/", ""))
    where[parts[-1]] = (
        sample if sample is not None else SAMPLES.get(pattern, KIND_SAMPLES[entry_of(pattern).kind])
    )
    return doc


@pytest.mark.parametrize("pattern", sorted(NOT_SUPPORTED))
def test_each_not_supported_key_is_reported_once_with_what_to_do(pattern: str) -> None:
    import yaml

    text = yaml.safe_dump(config_with(pattern))
    config = parse_config([("config/deploy.yml", text)], version="v1")
    path = pattern.replace("<role>", "web").replace("<name>", "db")
    said = [line for line in config.warnings if line.startswith(f"{path} ")]
    assert said == [f"{path} is not supported and is ignored: {NOT_SUPPORTED[pattern].advice}"]
    assert len(config.warnings) == 1, config.warnings


def test_a_config_without_them_loads_without_a_warning() -> None:
    import yaml

    assert parse_config([("config/deploy.yml", yaml.safe_dump(BASE))], version="v1").warnings == ()


def test_the_proxy_keys_are_reported_wherever_a_proxy_section_is() -> None:
    for key in PROXY_KEYS:
        assert {
            f"proxy/{key}",
            f"servers/<role>/proxy/{key}",
            f"accessories/<name>/proxy/{key}",
        } <= set(NOT_SUPPORTED)
