# Reads each secrets file named in DOCKYARD_SECRETS_FILES (one path a line) as `kamal secrets print`
# does (Kamal::Secrets: the dotenv gem with Kamal's inline command substitution), inside the real
# kamal binary (loaded with RUBYOPT=-r<this file>); writes each file's values, or the error it
# raised, as JSON to DOCKYARD_SECRETS_OUT, and exits before kamal's own main runs. One process for
# all files: kamal takes seconds to start.
require "kamal"
require "json"

results = File.read(ENV.fetch("DOCKYARD_SECRETS_FILES")).split("\n").map do |path|
  { "values" => Kamal::Secrets.new(secrets_path: path).to_h.to_a }
rescue ::Dotenv::FormatError, StandardError => e
  { "error" => "#{e.class}: #{e.message}" }
end
File.write(ENV.fetch("DOCKYARD_SECRETS_OUT"), JSON.generate(results))
exit!(0)
