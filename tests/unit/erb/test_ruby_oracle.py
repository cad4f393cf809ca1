"""Native rendering against Ruby's own ERB (trim_mode "-"), the oracle, on a corpus of templates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dockyard.config.erb import ErbUnsupported, parse
from dockyard.templating import erb_environment, host_for, render_erb, render_with_ruby

RUBY = shutil.which("ruby")
pytestmark = pytest.mark.skipif(RUBY is None, reason="ruby is not installed")

CORPUS = [
    "plain text\n",
    "<%= 1 %>\n<%= 2 -%>\n<%= 3 -%>\n\n",
    "a <%= 'x' -%> b\n",
    "<%= 'x' -%>",
    "x\n  <%- if true -%>\n  yes\n  <%- end -%>\nz\n",
    "x\n\t <%- if false -%>\nno\n <%- else -%>\nelse\n<%- end -%>\n",
    "a <%- if true %>b<% end %>\n",
    "a -%>\nb %%> <%% c %>\n",
    "<%# a comment %>\nafter\n",
    "<%# a comment -%>\nafter\n",
    "<%#\n multi\n line\n-%>\nafter\n",
    "<% # a comment that ends in its tag\n%>x\n",
    "a -%>\r\nb -%> c\n",
    "<%= 1 -%>\r\nnext\n",
    """<%= %x(printf '%s' "#{ENV['DOCKYARD_O_SET']}") %>\n""",
    '<%= "x %%> y" %>\n',
    "<%= nil %>|<%= true %>|<%= false %>|<%= 42 %>\n",
    '<%= ENV["DOCKYARD_O_SET"] %>|<%= ENV["DOCKYARD_O_UNSET"] %>\n',
    "<%= ENV['DOCKYARD_O_SET'] %>\n",
    '<%= ENV.fetch("DOCKYARD_O_SET") %>|<%= ENV.fetch("DOCKYARD_O_UNSET", "dflt") %>\n',
    '<%= ENV.fetch("DOCKYARD_O_UNSET") { "from-block" } %>\n',
    '<%= ENV["DOCKYARD_O_UNSET"] || "fallback" %>|<%= ENV["DOCKYARD_O_EMPTY"] || "no" %>\n',
    '<%= ENV["DOCKYARD_O_UNSET"].to_s %>|<%= ENV["DOCKYARD_O_UNSET"].to_i %>\n',
    '<%= ENV["DOCKYARD_O_NUM"].to_i + 1 %>\n',
    '<%= " 12ab".to_i %>|<%= "-7".to_i %>|<%= "1_000".to_i %>|<%= "x".to_i %>\n',
    '<%= "ab\\n\\n".chomp %>.<%= "a\\r\\n".chomp %>.<%= "  pad \\t".strip %>.\n',
    '<%= "Mixed".downcase %><%= "Mixed".upcase %>\n',
    '<%= "a\\tb\\\\c\\"d\\#{x}" %>\n',
    "<%= 'a\\nb\\'c\\\\d' %>\n",
    '<%= "#{ENV["DOCKYARD_O_SET"]}-#{1}-#{nil}-#{"in#{2}ner"}" %>\n',
    '<%= "a" + "b" + ENV.fetch("DOCKYARD_O_SET") %>\n',
    "<%= `echo hi` %>.\n",
    "<%= `echo hi`.strip %>.\n",
    "<%= %x(echo paren (nested)).chomp %>|<%= %x{echo brace}.chomp %>|<%= %x[echo br].chomp %>\n",
    '<%= `printf %s "#{ENV["DOCKYARD_O_SET"]}"` %>\n',
    '<%= `printf %s "$DOCKYARD_O_SET"` %>\n',
    '<%= File.read("file.txt") %>|<%= File.read("file.txt").strip %>\n',
    "<% if ENV['DOCKYARD_O_SET'] %>set<% end %>|<% unless ENV['DOCKYARD_O_SET'] %>x<% end %>\n",
    "<% if ENV['DOCKYARD_O_UNSET'] %>a<% elsif false %>b<% else %>c<% end %>\n",
    '<% if ENV["DOCKYARD_O_SET"] == "value" && !ENV["DOCKYARD_O_UNSET"] -%>\nyes\n<% end -%>\n',
    '<% if ENV["DOCKYARD_O_SET"] != "value" || ENV.key?("DOCKYARD_O_SET") -%>\nyes\n<% end -%>\n',
    "<% if ENV['DOCKYARD_O_UNSET'].nil? then %>nil<% end %>\n",
    '<% if (1 == 1) && ("a" == \'a\') %>eq<% end %><% if 1 == "1" %>bad<% end %>\n',
    "<% if true %><% if false %>a<% elsif true %>b<% end %><% end %>\n",
    "hosts:\n<% if true -%>\n  - <%= ENV['DOCKYARD_O_SET'] %>\n<% end -%>\nend: 1\n",
    "unicode: é ✓ <%= 'ü' %>\n",
    '<%= ENV.fetch("DOCKYARD_O_SET").split("a").first %>|<%= "a,b,,".split(",") %>\n',
    "<%= ' a  b '.split %>|<%= ''.split(',') %>|<%= ',a'.split(',') %>|<%= 'ab'.split('') %>\n",
    "<%= [1, 'x\\n\"q\"', nil, true, [2, '#{1}\\#{x}']] %>|<%= [] %>\n",
    "<%= ['a', ['b', 1], nil].join('-') %>|<%= [' a', 'b '].map(&:strip).join %>\n",
    "<%= ['a', '', ' '].reject(&:empty?) %>|<%= ['x', ''].select(&:empty?).size %>\n",
    "<%= [1, 1, nil, 2].compact.uniq %>|<%= ['a'].include?('a') %>|<%= [].first.nil? %>\n",
    "<%= 'abc'.include?('b') %>|<%= 'abc'.start_with?('ab') %>|<%= 'abc'.end_with?('x') %>\n",
    "<%= ([1] + [2]).last %>|<%= [1] == [1] %>|<%= ['a'].inspect %>|<%= 'q'.inspect %>\n",
    "servers:\n<% 'h1, h2,h3'.split(',').map(&:strip).each do |host| -%>\n"
    "  - <%= host %>\n<% end -%>\n",
    "<% ENV['DOCKYARD_O_SET'].split('').each do |c| %>"
    "<% if c == 'a' %>A<% else %><%= c %><% end %><% end %>\n",
    "<% [['x', 'y'], []].each do |row| %>[<% row.each do |cell| %><%= cell %>;<% end %>]"
    "<% end %>\n",
    "<%= ENV['DOCKYARD_O_SET'] ? 'yes' : 'no' %>|<%= ENV['DOCKYARD_O_UNSET'] ? 1 : 2 %>\n",
    "<%= ENV['DOCKYARD_O_UNSET'].nil? ? 'a' : 'b' %>|<%= false ? 1 : nil ? 2 : 3 %>\n",
    "<%= (ENV['DOCKYARD_O_UNSET'] || ENV['DOCKYARD_O_SET']) == 'value' ? `echo t` : `echo f` %>",
    "trailing <%= 1 %>",
    "<%- if true -%>\nstart\n<%- end -%>",
    "  <%= 1 -%>  \n  x\n",
    "windows\r\n<%= 1 -%>\r\nline\r\n",
]


@pytest.fixture
def oracle_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    (tmp_path / "file.txt").write_text("  content\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKYARD_O_SET", "value")
    monkeypatch.setenv("DOCKYARD_O_EMPTY", "")
    monkeypatch.setenv("DOCKYARD_O_NUM", "41")
    monkeypatch.delenv("DOCKYARD_O_UNSET", raising=False)
    return erb_environment("staging")


@pytest.mark.parametrize("template", CORPUS)
def test_native_rendering_matches_ruby(template: str, oracle_env: dict[str, str]) -> None:
    assert RUBY is not None
    native = parse(template, filename="t.yml").render(host_for(oracle_env))
    assert native == render_with_ruby(RUBY, template, filename="t.yml", env=oracle_env).text


# Ruby that dockyard hands to Ruby: parsing refuses it before anything runs, and render_erb
# gives exactly what Ruby's ERB gives.
RUBY_ONLY = [
    "<% # a ruby comment swallows the rest of the line %>x\ny\n",
    '<% ENV["DOCKYARD_O_SET"].chars.each do |c| -%>\n- <%= c %>\n<% end -%>\n',
    "<% x = 1 + 1 %><%= x %>\n",
    "<%= [1, 2].map { |i| i * 2 }.join(',') %>\n",
    '<%= ENV.fetch("DOCKYARD_O_SET").gsub("a", "4") %>\n',
    "<%= ENV['DOCKYARD_O_NUM'].to_i > 40 ? 'big' : 'small' %>\n",
    '<%= "a" if ENV["DOCKYARD_O_SET"] %>\n',
    "<%= Time.at(0).utc.year %>\n",
]


@pytest.mark.parametrize("template", RUBY_ONLY)
def test_ruby_renders_the_rest(template: str, oracle_env: dict[str, str]) -> None:
    assert RUBY is not None
    with pytest.raises(ErbUnsupported):
        parse(template, filename="t.yml")
    expected = render_with_ruby(RUBY, template, filename="t.yml", env=oracle_env).text
    assert render_erb(template, filename="t.yml", destination="staging") == expected


def test_the_corpus_runs_in_a_real_directory(oracle_env: dict[str, str]) -> None:
    assert Path("file.txt").read_text() == "  content\n"
    assert os.environ["DOCKYARD_O_SET"] == "value"
