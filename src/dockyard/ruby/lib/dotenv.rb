# The Ruby API of the dotenv gem 3.2 (which Kamal ships with), for config templates that
# `require "dotenv"`, rendered by dockyard's Ruby fallback on a machine that may not have the gem.
# Written for dockyard from the gem's documented behaviour; the oracle tests compare it with
# Kamal 2.11 (tests/oracle/test_erb_oracle.py).
#
#   Dotenv.load(*files)      set what ENV lacks (files default to .env; a missing file is skipped)
#   Dotenv.load!(*files)     the same; a missing file raises Errno::ENOENT
#   Dotenv.overload(*files)  (overwrite) set every key, later files first so earlier ones win
#   Dotenv.parse(*files)     the values, without touching ENV (a key ENV has keeps ENV's value)
#   Dotenv.update(hash), Dotenv.require_keys(*keys)
#
# The file format is the gem's (the same grammar as dockyard's config/dotenv.py): KEY=value,
# `export KEY=value`, 'single quotes' literal, "double quotes" with escapes, # comments,
# $VAR / ${VAR} (keys above in the same file, then ENV) and $(command).
module Dotenv
  VERSION = "3.2.0"

  class Error < StandardError; end

  class FormatError < SyntaxError; end

  class MissingKeys < Error
    def initialize(keys)
      super("Missing required configuration #{keys.size > 1 ? "keys" : "key"}: #{keys.inspect}")
    end
  end

  module_function

  def load(*filenames, overwrite: false, ignore: true)
    parse(*filenames, overwrite: overwrite, ignore: ignore) do |values|
      update(values, overwrite: overwrite)
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

  def overload(*filenames)
    overwrite(*filenames)
  end

  def overload!(*filenames)
    overwrite!(*filenames)
  end

  # The values of every file merged (later files win); with a block, what it returns for each
  # file's values is merged instead.
  def parse(*filenames, overwrite: false, ignore: true)
    filenames = [ ".env" ] if filenames.empty?
    filenames = filenames.reverse if overwrite
    filenames.each_with_object({}) do |filename, merged|
      values = nil
      begin
        values = Dotenv::Parser.new(read(filename), overwrite: overwrite).call
        values = yield(values) if block_given?
      rescue Errno::ENOENT, Errno::EISDIR
        raise unless ignore
      end
      merged.merge!(values || {})
    end
  end

  def read(filename)
    File.open(File.expand_path(filename), "rb:bom|utf-8", &:read)
  end
  private_class_method :read

  # Set these values in ENV (an existing one only with overwrite: true, or kept with a warning
  # with overwrite: :warn); returns those that changed.
  def update(values = {}, overwrite: false)
    before = ENV.to_h
    values.each do |name, value|
      name = name.to_s
      if ENV.key?(name) && overwrite != true
        raise ArgumentError, "Invalid value for overwrite: #{overwrite.inspect}" unless [ false, :warn ].include?(overwrite)
        warn "Warning: dotenv not overwriting ENV[#{name.inspect}]" if overwrite == :warn
      else
        ENV[name] = value
      end
    end
    after = ENV.to_h
    added = after.keys - before.keys
    changed = before.keys.select { |name| after.key?(name) && after[name] != before[name] }
    after.slice(*(added + changed))
  end

  def require_keys(*keys)
    missing = keys.flatten - ENV.keys
    raise MissingKeys, missing unless missing.empty?
  end

  # One file's text to its values, in the gem's format.
  class Parser
    LINE = /
      (?:^|\A) \s*
      (?<export>export\s+)?
      (?<key>[\w.]+)
      (?:
        (?:\s*=\s*?|:\s+?)
        (?<value> \s*'(?:\\'|[^'])*' | \s*"(?:\\"|[^"])*" | [^\#\n]+ )?
      )?
      \s* (?:\#.*)? (?:$|\z)
    /x
    QUOTED = /\A(['"])(.*)\1\z/m
    COMMAND = /(?<escape>\\)?\$(?<command>\((?:[^()]|\g<command>)+\))/
    VARIABLE = /(\\)?\$(?!\()\{?([A-Z0-9_]+)?\}?/i

    def initialize(text, overwrite: false)
      @text = text.gsub(/\r\n?/, "\n")
      @overwrite = overwrite
      @values = {}
    end

    def call
      @text.scan(LINE) do
        match = Regexp.last_match
        key = match[:key]
        if !@overwrite && key != "DOTENV_LINEBREAK_MODE" && ENV.key?(key)
          @values[key] = ENV[key] # a variable already set keeps its value
        elsif match[:export] && match[:value].nil?
          raise FormatError, "Line #{match.to_s.inspect} has an unset variable" unless @values.key?(key)
        else
          @values[key] = value_of(match[:value] || "")
        end
      end
      @values
    end

    private

    def value_of(text)
      text = text.strip
      quote = text.match(QUOTED)&.[](1)
      text = text.sub(QUOTED, '\2')
      text = newlines(text) if quote == '"'
      return text if quote == "'"

      substituted_variables(substituted_commands(text.gsub(/\\([^$])/, '\1')))
    end

    def newlines(text)
      if (@values["DOTENV_LINEBREAK_MODE"] || ENV["DOTENV_LINEBREAK_MODE"]) == "legacy"
        text.gsub('\n', "\n").gsub('\r', "\r")
      else
        text.gsub('\n', "\\\\\\n").gsub('\r', "\\\\\\r")
      end
    end

    # $(command) runs (its $VARs substituted first) and becomes its output, chomped; \$(…) stays.
    def substituted_commands(text)
      text.gsub(COMMAND) do
        match = Regexp.last_match
        next match[0][1..] if match[:escape]

        `#{substituted_variables(match[:command][1..-2])}`.chomp
      end
    end

    # $VAR and ${VAR}: a key above in this file, else ENV, else ""; \$VAR stays as $VAR.
    def substituted_variables(text)
      text.gsub(VARIABLE) do |written|
        match = Regexp.last_match
        if match[1] == "\\"
          written[1..]
        elsif match[2]
          @values[match[2]] || ENV[match[2]] || ""
        else
          written
        end
      end
    end
  end
end
