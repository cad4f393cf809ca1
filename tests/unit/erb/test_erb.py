"""The pure ERB renderer: constructs, errors with file and line, and what runs when."""

from __future__ import annotations

import pytest

from dockyard.config.erb import ErbHost, ErbUnsupported, parse, render
from dockyard.errors import ErbError


class Effects:
    """Records what a template asked of the world; answers from dictionaries."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env or {}
        self.commands: list[str] = []
        self.files = {"secret.txt": "s3cret\n"}

    def host(self) -> ErbHost:
        return ErbHost(env=self.env.get, shell=self.shell, read_file=self.read)

    def shell(self, command: str) -> str:
        self.commands.append(command)
        return f"ran {command}\n"

    def read(self, path: str) -> str:
        if path not in self.files:
            raise FileNotFoundError(2, "No such file or directory")
        return self.files[path]


def rendered(text: str, env: dict[str, str] | None = None) -> str:
    return render(text, filename="deploy.yml", host=Effects(env).host())


def test_output_and_literals() -> None:
    text = "<%= 'a' %> <%= \"b\\tc\" %> <%= 7 %> <%= nil %><%= true %>"
    assert rendered(text) == "a b\tc 7 true"


def test_env_forms() -> None:
    env = {"A": "x", "N": "5"}
    text = '<%= ENV["A"] %><%= ENV.fetch("B", "d") %><%= ENV.fetch("B") { "k" } %>'
    assert rendered(text + '<%= ENV["N"].to_i + 1 %>', env) == "xdk6"


def test_interpolation_and_concatenation() -> None:
    assert rendered('<%= "#{ENV["A"]}-#{1}" + "z" %>', {"A": "q"}) == "q-1z"


def test_commands_and_files() -> None:
    effects = Effects({"A": "q"})
    text = '<%= `echo #{ENV["A"]}`.strip %>|<%= %x(a (b)) %>|<%= File.read("secret.txt").chomp %>'
    assert render(text, filename="d", host=effects.host()) == "ran echo q|ran a (b)\n|s3cret"
    assert effects.commands == ["echo q", "a (b)"]


def test_a_branch_not_taken_runs_nothing() -> None:
    effects = Effects({"A": "set"})
    text = "<% if false %><%= `no` %><% end %><%= ENV['A'] || `no` %><%= nil && `no` %>"
    assert render(text, filename="d", host=effects.host()) == "set"
    assert effects.commands == []


def test_ternary() -> None:
    assert rendered("<%= ENV['X'] ? `yes` : 'no' %>") == "no"
    assert rendered("<%= ENV['X'] ? 'a' : ENV['Y'] ? 'b' : 'c' %>", {"Y": "1"}) == "b"


def test_unless_elsif_else() -> None:
    text = (
        "<% unless ENV['X'] %>u<% end %><% if ENV['X'] %>1<% elsif ENV['Y'] %>2<% else %>3<% end %>"
    )
    assert rendered(text) == "u3"
    assert rendered(text, {"Y": ""}) == "u2"  # an empty string is true in Ruby
    assert rendered(text, {"X": "1"}) == "1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'a\n<%= ENV.fetch("MISSING") %>',
            r'^deploy.yml:2: ENV.fetch\("MISSING"\): MISSING is not',
        ),
        ("a\nb\n<%= ENV['X'].strip %>", r"^deploy.yml:3: undefined method 'strip' for nil \(is an"),
        ("a <%= 1", r"^deploy.yml:1: <%= tag is never closed"),
        ("<% if true %>\nx\n", r"^deploy.yml:1: `if` is never closed with <% end %>"),
        ("x\n<% end %>", r"^deploy.yml:2: `end` without a matching `if`"),
        ("<% if 1 %><% else %><% else %><% end %>", r"`else` without a matching `if`"),
        ("\n<%= 'abc %>", r"^deploy.yml:2: string starting with ' is never closed"),
        ("<%= 'a' + 1 %>", r"^deploy.yml:1: cannot add Integer to String"),
        ('<%= File.read("nope") %>', r'^deploy.yml:1: File.read\("nope"\): No such file'),
    ],
)
def test_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ErbError, match=message):
        rendered(text)


@pytest.mark.parametrize(
    ("text", "line", "construct"),
    [
        ("a\n<%= [1].sample %>", 2, "method `.sample`"),
        ("<%= ENV['A'].gsub(',', '') %>", 1, "method `.gsub`"),
        ("<% @x = 1 %>", 1, "`@x = 1`"),
        ("<%=\n  ENV['A'] &\n 1 %>", 2, "`&`"),
        ("<% ENV.each do |k, v| %><% end %>", 1, "`ENV.each`"),
        ("<% [1].each { |x| %><% end %>", 1, "`.each` other than `.each do |name|` ending its tag"),
        ("<% x || [1].each do |v| %><% end %>", 1, "`x || [1].each do |v|`"),
        ("<%= [1].map { |x| x } %>", 1, "`.map` with a block (only `.map(&:method)`)"),
        ("<%= ENV.fetch('A') { |k| k } %>", 1, "a block with parameters"),
    ],
)
def test_unsupported_ruby_is_refused_before_anything_runs(
    text: str, line: int, construct: str
) -> None:
    with pytest.raises(ErbUnsupported) as caught:
        parse("<%= `echo first` %>" + text, filename="deploy.yml")
    assert caught.value.line == line
    assert caught.value.message.startswith(f"{construct} is Ruby that dockyard cannot render")


def test_templates_parse_once_and_render_many_times() -> None:
    template = parse("<%= ENV['A'] %>", filename="d")
    assert template.render(Effects({"A": "1"}).host()) == "1"
    assert template.render(Effects({"A": "2"}).host()) == "2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\n  <%- if true -%>\n  b\n  <%- end -%>\nc\n", "a\n  b\nc\n"),
        ("<%= 1 -%>\nx", "1x"),
        ("<%= 1 -%>\r\nx", "1x"),
        ("<%= 1 -%>", "1"),
        ("a -%>\nb", "a -%>\nb"),  # outside a tag, -%> is text
        ("<%% x %>", "<% x %>"),
        ('<%= "a %%> b" %>', "a %> b"),
        ("<%# c %>x<%#\nmulti\n-%>\ny", "xy"),
        ("x <%- if true %>y<% end %>", "x y"),  # <%- only trims at the start of a line
    ],
)
def test_trim_mode_dash(text: str, expected: str) -> None:
    assert rendered(text) == expected


def test_each_blocks_bind_their_variable() -> None:
    text = "<% ENV['HOSTS'].split(',').each do |host| -%>\n- <%= host.strip %>\n<% end -%>\n"
    assert rendered(text, {"HOSTS": "a, b"}) == "- a\n- b\n"
    with pytest.raises(ErbError, match=r"^deploy.yml:2: undefined method 'each' for nil"):
        rendered("x\n<% ENV['HOSTS'].each do |h| %><% end %>")
    with pytest.raises(ErbError, match=r"^deploy.yml:1: `each` is never closed"):
        rendered("<% [1].each do |h| %>")
    with pytest.raises(ErbError, match=r"`else` without a matching `if`"):
        rendered("<% [1].each do |h| %><% else %><% end %>")


def test_a_loop_variable_is_only_known_inside_its_block() -> None:
    with pytest.raises(ErbUnsupported, match=r"^deploy.yml:1: `h` is Ruby"):
        parse("<% [1].each do |h| %><% end %><%= h %>", filename="deploy.yml")
