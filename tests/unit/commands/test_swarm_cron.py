"""The release pointer switch on a swarm's jobs' host (plan/swarm_cron.py), rendered exactly:
the role's secrets from standard input into a 0600 file (removed when the command ends,
however it ends), the release's env written from the clear env its tasks get and that file,
then the pointer; a rollback keeps the env its version was deployed with. The tick's
container joins the app's overlay network."""

from __future__ import annotations

import yaml

from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.plan.cron import cron_plan
from dockyard.plan.swarm_cron import pointer_switches
from dockyard.redaction import Secret

DEPLOY = {
    "service": "shop", "image": "shop", "builder": {"arch": "amd64"},
    "registry": {"server": "registry.lab:5000", "username": "u", "password": ["P"]},
    "servers": ["10.0.0.1", "10.0.0.2"], "proxy": {"host": "shop.test"},
    "env": {"clear": {"MODE": "prod"}, "secret": ["TOKEN"]},
    "x-dockyard": {"backend": "swarm", "cron": {"tick": {
        "schedule": "@every 10s", "command": "bin/tick", "host": "10.0.0.2"}}},
}  # fmt: skip
ENV = "$HOME/.dockyard/apps/shop/env/exec/shop-web-cron-v3.env"


def config() -> Config:
    return parse_config([("config/deploy.yml", yaml.safe_dump(DEPLOY))], version="v3")


def test_a_swarm_switch_writes_the_secrets_from_stdin_then_the_release_env_and_pointer() -> None:
    (switch,) = pointer_switches(config(), {"TOKEN": Secret("t0k")}, keep_existing=False)
    assert (switch.role, switch.secrets, repr(switch.secrets)) == (
        "web",
        "TOKEN=t0k\n",
        "Secret('[REDACTED]')",
    )
    assert switch.command.render() == (
        f"trap 'rm -f \"{ENV}\"' EXIT; "
        'mkdir -p "$HOME/.dockyard/apps/shop/env/exec" && '
        f'(umask 077 && cat > "{ENV}.tmp") && mv -f "{ENV}.tmp" "{ENV}" && '
        'mkdir -p "$HOME/.dockyard/apps/shop/cron" && cd "$HOME/.dockyard/apps/shop/cron" && '
        "mkdir -p releases/v3 && (umask 077 && { "
        "echo S0FNQUxfVkVSU0lPTj12MwpNT0RFPXByb2QK | base64 -d; "  # KAMAL_VERSION=v3, MODE=prod
        f'cat "{ENV}"; }} > releases/v3/web.env.tmp) && '
        "mv -f releases/v3/web.env.tmp releases/v3/web.env && "
        "echo djMgcmVnaXN0cnkubGFiOjUwMDAvc2hvcDp2Mwo= | base64 -d > release.web.tmp && "
        "chmod 644 release.web.tmp && mv -f release.web.tmp release.web"
    )
    assert "t0k" not in switch.command.render()


def test_a_swarm_rollback_keeps_the_env_its_version_was_deployed_with() -> None:
    (switch,) = pointer_switches(config(), {"TOKEN": Secret("t0k")}, keep_existing=True)
    assert "&& { [ -f releases/v3/web.env ] || { mkdir -p releases/v3 && " in (
        switch.command.render()
    )


def test_no_jobs_no_switch_and_a_ticks_container_joins_the_overlay() -> None:
    bare = {**DEPLOY, "x-dockyard": {"backend": "swarm"}}
    loaded = parse_config([("config/deploy.yml", yaml.safe_dump(bare))], version="v3")
    assert pointer_switches(loaded, {"TOKEN": Secret("t")}, keep_existing=False) == []
    plan = cron_plan(config())
    assert plan is not None and plan.target.host == "10.0.0.2"
    run_args = next(line for line in plan.jobs["tick"].splitlines() if "RUN_ARGS=" in line)
    assert run_args == "RUN_ARGS='--network shop-swarm --log-opt max-size=10m'"
