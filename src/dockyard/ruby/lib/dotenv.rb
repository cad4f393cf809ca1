# The Ruby API of the dotenv gem 3.2 (which Kamal ships with), for config templates that
# `require "dotenv"`, rendered by dockyard's Ruby fallback on a machine that may not have the gem.
# Written for dockyard from the gem's documented API and file format, as a scanner of its own;
# where the documentation is silent (where a quoted value ends, `export` alone, a `#` inside an
# unquoted value...) the behaviour is the real gem's, compared with the gem inside Kamal 2.11 on
# hand-written and generated files (tests/oracle/test_erb_oracle.py). No code of the gem is copied.
#
#   Dotenv.load(*files)      set what ENV lacks (files default to .env; a missing file is skipped)
#   Dotenv.load!(*files)     the same; a missing file raises Errno::ENOENT
#   Dotenv.overload(*files)  (overwrite) set every key, later files first so earlier ones win
#   Dotenv.parse(*files)     the values, without touching ENV (a key ENV has keeps ENV's value)
#   Dotenv.update(hash), Dotenv.require_keys(*keys)
#
# The file format (the same grammar as dockyard's config/dotenv_lines.py): KEY=value or
# `KEY: value`, an optional `export ` before the key, 'single quotes' literal, "double quotes"
# with backslash escapes (`\n` stays as written unless DOTENV_LINEBREAK_MODE=legacy), quoted
# values over several lines, # comments, $VAR / ${VAR} (keys above in the same file, then ENV)
# and $(command).
require "strscan"

module Dotenv
  VERSION = "3.2.0"

  class Error < StandardError; end

  class FormatError < SyntaxError; end

  class MissingKeys < Error
    def initialize(keys)
      noun = keys.size == 1 ? "key" : "keys"
      super("Missing required configuration #{noun}: #{keys.inspect}")
    end
  end

  class << self
    def load(*filenames, overwrite: false, ignore: true)
      parse(*filenames, overwrite: overwrite, ignore: ignore) do |values|
        update(values, overwrite: overwrite) # file by file: a later file sees what this one set
      end
    end

    def load!(*filenames)
      load(*filenames, ignore: false)
    end

    def overwrite(*filenames)
      load(*filenames, overwrite: true)
    end

    def overwrite!(*filenames)
      load(*filenames, overwrite: true, ignore: false)
    end

    alias overload overwrite
    alias overload! overwrite!

    # The values of every file, later files winning (with overwrite the files are taken in
    # reverse, so the first one wins); with a block, what it makes of each file's values.
    def parse(*filenames, overwrite: false, ignore: true)
      filenames = [ ".env" ] if filenames.empty?
      filenames = filenames.reverse if overwrite
      filenames.each_with_object({}) do |filename, merged|
        values = values_in(filename, overwrite: overwrite, ignore: ignore) or next
        values = yield(values) if block_given?
        merged.update(values || {})
      end
    end

    # Sets these values in ENV (a name ENV has only with overwrite: true; overwrite: :warn keeps
    # it and says so) and returns the names whose value this added or changed.
    def update(values = {}, overwrite: false)
      before = ENV.to_h
      values.each { |name, value| set(name.to_s, value, overwrite) }
      changes(before, ENV.to_h)
    end

    def require_keys(*keys)
      missing = keys.flatten - ENV.keys
      raise MissingKeys, missing unless missing.empty?
    end

    private

    def values_in(filename, overwrite:, ignore:)
      text = File.open(File.expand_path(filename), "rb:bom|utf-8", &:read)
      Parser.new(text, overwrite: overwrite).call
    rescue Errno::ENOENT, Errno::EISDIR
      raise unless ignore
    end

    def set(name, value, overwrite)
      unless ENV.key?(name) && overwrite != true
        ENV[name] = value
        return
      end
      unless overwrite == false || overwrite == :warn
        raise ArgumentError, "Invalid value for overwrite: #{overwrite.inspect}"
      end
      warn "Warning: dotenv not overwriting ENV[#{name.inspect}]" if overwrite == :warn
    end

    # The names new in `after`, then those whose value changed.
    def changes(before, after)
      added = after.reject { |name, _| before.key?(name) }
      changed = before.keys.select { |name| after.key?(name) && after[name] != before[name] }
      added.merge(after.slice(*changed))
    end
  end

  # One file's text to its values: a scanner that reads an entry from the start of a line and
  # skips, a line at a time, what is not one. An entry is
  #   [export ]KEY[ = value | ": " value][ # comment]
  # where a quoted value may run over several lines (its closing quote is the one after which the
  # line ends, or a comment starts) and an unquoted value ends at a `#` or at the end of its line.
  class Parser
    KEY = /[\w.]+/
    EXPORT = /export\s+(?=[\w.])/
    END_OF_ENTRY = /\s*(?:#.*)?$/ # blanks, maybe a comment, then the end of a line
    LINEBREAK_MODE = "DOTENV_LINEBREAK_MODE"
    BACKSLASH = "\\".ord

    Value = Struct.new(:quote, :text)
    EMPTY = Value.new(nil, "")

    def self.call(text, overwrite: false)
      new(text, overwrite: overwrite).call
    end

    def initialize(text, overwrite: false)
      @scanner = StringScanner.new(text.gsub(/\r\n?/, "\n"))
      @overwrite = overwrite
      @values = {}
    end

    def call
      until @scanner.eos?
        next_line unless @scanner.beginning_of_line?
        start = @scanner.pos
        key, exported, value = read_entry(exported: true) || read_entry_again(start)
        if key
          take(key, exported, value, @scanner.string.byteslice(start...@scanner.pos))
        else
          @scanner.pos = start
          next_line
        end
      end
      @values
    end

    private

    def next_line
      @scanner.skip_until(/\n/) || @scanner.terminate
    end

    # [key, exported, value] (value nil when the entry has none), or nil. `export` may also be
    # the key itself (`export=1`, or `export` alone on its line before a line that is no entry).
    def read_entry(exported:)
      @scanner.skip(/\s*/)
      exported &&= !@scanner.skip(EXPORT).nil?
      key = @scanner.scan(KEY) or return nil
      value = read_value if @scanner.skip(/\s*=/) || @scanner.skip(/:\s/)
      return nil unless @scanner.skip(END_OF_ENTRY)

      [ key, exported, value ]
    end

    # The entry read again with `export` as its key, when it did not parse as `export KEY...`.
    def read_entry_again(start)
      @scanner.pos = start
      read_entry(exported: false)
    end

    def read_value
      quoted_value || unquoted_value
    end

    # A value that opens with a quote (blanks, even line breaks, before it are skipped) and closes
    # with the same quote at the end of a line. A quote preceded by a backslash may be inside the
    # value; the first one that is not ends it. The last closing quote that fits wins.
    def quoted_value
      start = @scanner.pos
      @scanner.skip(/\s*/)
      quote = @scanner.scan(/['"]/)
      close = quote && closing_quotes(@scanner.pos, quote).reverse.find { |at| ends_entry?(at + 1) }
      unless close
        @scanner.pos = start
        return nil
      end
      text = @scanner.string.byteslice(@scanner.pos...close)
      @scanner.pos = close + 1
      Value.new(quote, text)
    end

    # The byte offsets of the quotes that may close a value whose text starts at `from`.
    def closing_quotes(from, quote)
      found, ahead = [], @scanner.dup
      while ahead.skip_until(quote == "'" ? /'/ : /"/)
        found << ahead.pos - 1
        break unless ahead.pos - 2 >= from && ahead.string.getbyte(ahead.pos - 2) == BACKSLASH
      end
      found
    end

    def ends_entry?(position)
      saved = @scanner.pos
      @scanner.pos = position
      @scanner.match?(END_OF_ENTRY)
    ensure
      @scanner.pos = saved
    end

    # The rest of the line up to a `#`, stripped; quotes around all of it still quote it. Nil when
    # a `#` or the line's end follows the separator (so `export KEY=` is `export KEY`).
    def unquoted_value
      text = @scanner.scan(/[^#\n]+/) or return nil
      text = text.strip
      quote = text[0]
      if text.length >= 2 && (quote == "'" || quote == '"') && text.end_with?(quote)
        Value.new(quote, text[1...-1])
      else
        Value.new(nil, text)
      end
    end

    def take(key, exported, value, written)
      if !@overwrite && key != LINEBREAK_MODE && ENV.key?(key)
        @values[key] = ENV[key] # a variable already set keeps its value
      elsif exported && value.nil?
        raise FormatError, "Line #{written.inspect} has an unset variable" unless @values.key?(key)
      else
        @values[key] = evaluated(value || EMPTY)
      end
    end

    def evaluated(value)
      case value.quote
      when "'" then value.text
      when '"'
        if legacy_linebreaks?
          substituted(unescaped(value.text.gsub("\\n", "\n").gsub("\\r", "\r"), "$"))
        else
          substituted(unescaped(value.text, "$nr"))
        end
      else substituted(unescaped(value.text, "$"))
      end
    end

    def legacy_linebreaks?
      (@values[LINEBREAK_MODE] || ENV[LINEBREAK_MODE]) == "legacy"
    end

    # A backslash stands for the character after it, unless that character is one of `kept`:
    # then both stay (`\$` is left for the substitutions; `\n` and `\r` in double quotes).
    def unescaped(text, kept)
      text.gsub(/\\(.)/m) do
        escaped = Regexp.last_match(1)
        kept.include?(escaped) ? "\\#{escaped}" : escaped
      end
    end

    # Commands first, then variables in the whole result (a command's output included).
    def substituted(text)
      variables_expanded(commands_run(text))
    end

    # $(command) becomes its output less one line break, its $VARs expanded before it runs;
    # \$(command) stays, without its backslash. Parentheses nest, and none may be empty.
    def commands_run(text)
      out, at = +"", 0
      while at < text.length
        escaped = text[at] == "\\"
        dollar = escaped ? at + 1 : at
        close = text[dollar, 2] == "$(" ? group_end(text, dollar + 1) : nil
        if close.nil?
          out << text[at]
          at += 1
        else
          out << (escaped ? text[dollar...close] : run(text[dollar + 2...close - 1]))
          at = close
        end
      end
      out
    end

    # The index after the `)` that closes the `(` at `open`, or nil.
    def group_end(text, open)
      at = open + 1
      loop do
        case text[at]
        when nil then return nil
        when ")" then return at > open + 1 ? at + 1 : nil
        when "(" then (at = group_end(text, at)) or return nil
        else at += 1
        end
      end
    end

    def run(command)
      `#{variables_expanded(command)}`.chomp
    end

    # $NAME and ${NAME} become a key above in this file, else ENV's value, else ""; `\$` is a
    # literal `$`; a `$` with no name after it, or before `(`, stays as written.
    def variables_expanded(text)
      scanner, out = StringScanner.new(text), +""
      until scanner.eos?
        if scanner.skip(/\\\$(?!\()/)
          out << "$"
        elsif scanner.skip(/\$(?!\()/)
          out << variable(scanner)
        else
          out << (scanner.scan(/[^\\$]+/) || scanner.getch)
        end
      end
      out
    end

    # After a `$`: the value of `{NAME}`, `NAME`, `{NAME` or `NAME}`, or "$" if no name follows.
    def variable(scanner)
      start = scanner.pos
      scanner.skip(/\{/)
      name = scanner.scan(/[A-Za-z0-9_]+/)
      unless name
        scanner.pos = start
        return "$"
      end
      scanner.skip(/\}/)
      @values[name] || ENV[name] || ""
    end
  end
end
