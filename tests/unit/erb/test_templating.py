"""render_erb: the I/O binding (environment, shell, files, Ruby fallback) on real processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest.mock import patch

import pytest

from dockyard.config.erb import ErbUnsupported
from dockyard.errors import ErbError
from dockyard.templating import render_erb

needs_ruby = pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed")


def test_plain_text_is_returned_as_is() -> None:
    assert render_erb("service: app\n", filename="deploy.yml", destination=None) == "service: app\n"


def test_env_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_T_HOST", "1.2.3.4")
    text = 'hosts: [<%= ENV["DOCKYARD_T_HOST"] %>]\n'
    assert render_erb(text, filename="deploy.yml", destination=None) == "hosts: [1.2.3.4]\n"


def test_destination_is_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMAL_DESTINATION", "stale")
    text = "<%= ENV['KAMAL_DESTINATION'] %>|<%= `printf %s \"$KAMAL_DESTINATION\"` %>"
    assert render_erb(text, filename="d.yml", destination="staging") == "staging|staging"
    assert render_erb(text, filename="d.yml", destination=None) == "|"


def test_backticks_run_through_the_shell() -> None:
    text = "<%= `echo one; echo two >&2`.strip %>-<%= %x(printf '%s' a | tr a b) %>"
    assert render_erb(text, filename="d.yml", destination=None) == "one-b"


def test_file_read_is_relative_to_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key.txt").write_text("abc\n")
    monkeypatch.chdir(tmp_path)
    text = '<%= File.read("key.txt").chomp %>'
    assert render_erb(text, filename="d.yml", destination=None) == "abc"
    with pytest.raises(ErbError, match=r'^d.yml:1: File.read\("nope.txt"\): No such file'):
        render_erb('<%= File.read("nope.txt") %>', filename="d.yml", destination=None)


def test_fetch_of_a_missing_variable_names_it_file_and_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKYARD_T_MISSING", raising=False)
    text = 'a: 1\nb: <%= ENV.fetch("DOCKYARD_T_MISSING") %>\n'
    with pytest.raises(ErbError, match=r"^deploy.yml:2: ENV.fetch\(\"DOCKYARD_T_MISSING\"\)"):
        render_erb(text, filename="deploy.yml", destination=None)


@needs_ruby
def test_ruby_renders_what_dockyard_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_T_LIST", "a,b")
    text = '<% ENV["DOCKYARD_T_LIST"].split(",").each do |h| -%>\n- <%= h %>\n<% end -%>\n'
    assert render_erb(text, filename="d.yml", destination="x") == "- a\n- b\n"


@needs_ruby
def test_ruby_errors_name_the_file_and_line() -> None:
    text = "a\nb\n<%= [1].fetch(5) %>\n"
    with pytest.raises(ErbError, match=r"^d.yml:3: Ruby's ERB failed: .*index 5"):
        render_erb(text, filename="d.yml", destination=None)


def test_without_ruby_the_construct_and_line_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    text = "a\n<%= [1].sample %>\n"
    with pytest.raises(ErbUnsupported, match=r"^d.yml:2: method `.sample` is Ruby that dockyard"):
        render_erb(text, filename="d.yml", destination=None)


def test_a_template_runs_in_the_app_directory(tmp_path: Path) -> None:
    """root is Kamal's working directory: File.read and backticks start there."""
    (tmp_path / "key.txt").write_text("abc\n")
    text = '<%= File.read("key.txt").chomp %>|<%= `cat key.txt`.chomp %>|<%= `pwd`.chomp %>'
    rendered = render_erb(text, filename="d.yml", destination=None, root=tmp_path)
    assert rendered == f"abc|abc|{tmp_path}"


@needs_ruby
def test_ruby_sees_the_file_as_kamal_shows_it(tmp_path: Path) -> None:
    """Kamal's ERB has no file name: __FILE__ is "(erb)", __dir__ is ".", and require_relative
    starts from the app's directory (configs write `require_relative "config/x"`)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "helper.rb").write_text('HELPED = "helped"\n')
    text = '<% require_relative "config/helper" %><%= [__FILE__, __dir__, HELPED].join("|") %>'
    rendered = render_erb(text, filename="config/deploy.yml", destination=None, root=tmp_path)
    assert rendered == "(erb)|.|helped"


@needs_ruby
def test_dotenv_needs_no_gem_and_its_variables_reach_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("DOCKYARD_T_LOADED=from-dotenv\nDOCKYARD_T_KEPT=file\n")
    monkeypatch.setenv("DOCKYARD_T_KEPT", "env")
    monkeypatch.delenv("DOCKYARD_T_LOADED", raising=False)
    text = '<% require "dotenv"; Dotenv.load -%>\n<%= ENV["DOCKYARD_T_LOADED"] %>\n'
    rendered = render_erb(text, filename="d.yml", destination=None, root=tmp_path)
    assert rendered == "from-dotenv\n"
    assert "DOCKYARD_T_LOADED" not in os.environ  # only a config file exports what it loads
    with patch.dict(os.environ):  # undone after the test
        render_erb(text, filename="d.yml", destination=None, root=tmp_path, export_env=True)
        assert os.environ["DOCKYARD_T_LOADED"] == "from-dotenv"
        assert os.environ["DOCKYARD_T_KEPT"] == "env"  # Dotenv.load keeps what is set


@needs_ruby
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a\n<% require "no_such_gem_here" %>\n',
         "d.yml:2: Ruby's ERB failed: LoadError: cannot load such file -- no_such_gem_here"),
        ('a\nb\n<% raise "stop here" %>\n', "d.yml:3: Ruby's ERB failed: RuntimeError: stop here"),
        ("a\n<%= [1].map { |x| x + %>\n",
         "d.yml:2: Ruby's ERB failed: SyntaxError: syntax error, unexpected ')'"),
        ("<% exit 3 %>", "d.yml:1: Ruby's ERB failed: SystemExit: exit"),
    ],
)  # fmt: skip
def test_an_exception_in_ruby_is_its_class_message_and_line(text: str, message: str) -> None:
    with pytest.raises(ErbError) as caught:
        render_erb(text, filename="d.yml", destination=None)
    assert str(caught.value) == message
