# Runs `kamal config ARGS` for many app directories inside ONE real kamal process.
#
# Loaded into the kamal binary with RUBYOPT=-r<this file>: it requires Kamal, runs Kamal's own CLI
# (Kamal::Cli::Main.start(["config", *args])) in each directory with a fresh commander, writes
# each run's stdout, error line and status as JSON, and exits before kamal's own main runs.
# Kamal takes about a second to start; this pays that once instead of once per config.
require "kamal"
require "json"
require "stringio"

jobs = JSON.parse(File.read(ENV.fetch("DOCKYARD_KAMAL_BATCH")))
results = jobs.map do |job|
  out = StringIO.new
  error = ""
  status = 0
  Dir.chdir(job["dir"]) do
    ENV.delete("KAMAL_DESTINATION")
    Object.send(:remove_const, :KAMAL) if defined?(KAMAL)
    Object.const_set(:KAMAL, Kamal::Commander.new)
    $stdout = out
    begin
      Kamal::Cli::Main.start([ "config", *job["args"] ])
    rescue SystemExit => e
      status = e.status
    rescue => e
      # As bin/kamal reports an error.
      error = "  ERROR (#{e.class}): #{e.message}"
      status = 1
    ensure
      $stdout = STDOUT
    end
  end
  { "stdout" => out.string, "stderr" => error, "status" => status }
end
File.write(ENV.fetch("DOCKYARD_KAMAL_BATCH_OUT"), JSON.generate(results))
exit!(0)
