# A config template (standard input) rendered as Kamal renders it: ERB.new(text, trim_mode: "-")
# .result at the top level, with no file name, so __FILE__ is "(erb)", __dir__ is "." and
# require_relative starts from the working directory (dockyard runs this in the app's directory,
# where Kamal runs). lib/ beside this file comes first on the load path (-I): `require "dotenv"`
# loads dockyard's copy of the API of dotenv 3.2, the gem Kamal ships with.
#
# The rendered text goes to standard output. The file named by ARGV[0] gets, as JSON, either
# {"env": {...}} (the variables the template set, changed or, as null, removed: Dotenv.load in a
# config reaches the secrets and later files, as in Kamal's process) or {"error": {...}}: the
# class, message and template line of an exception raised while rendering.
require "erb"
require "json"
begin
  require "active_support/core_ext/object/blank" # Kamal's ERB has .present? and .blank?
rescue LoadError
end

module DockyardRenderErb
  TEMPLATE = "(erb)"

  def self.run(report)
    before = ENV.to_h
    $stdout.write(ERB.new($stdin.read, trim_mode: "-").result)
    $stdout.flush
    File.write(report, JSON.generate({ "env" => changes(before, ENV.to_h) }))
  rescue Exception => e # rubocop:disable Lint/RescueException: every failure is reported
    File.write(report, JSON.generate({ "error" => described(e) }))
    exit!(1)
  end

  def self.changes(before, after)
    changed = after.reject { |name, value| before[name] == value }
    removed = (before.keys - after.keys).to_h { |name| [ name, nil ] }
    changed.merge(removed).transform_values { |value| value&.scrub }
  end

  def self.described(error)
    frame = (error.backtrace_locations || []).find { |location| location.path == TEMPLATE }
    line = frame&.lineno || error.message[/\(erb\):(\d+)/, 1]&.to_i
    message = error.message.to_s.scrub.sub(/\A\(erb\):\d+:\s*/, "")
    { "class" => error.class.name, "message" => message, "line" => line }
  end
end

DockyardRenderErb.run(ARGV.fetch(0))
