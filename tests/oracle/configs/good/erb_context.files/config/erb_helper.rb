# Required by the config's ERB with require_relative "config/erb_helper".
module ErbHelper
  def self.service
    "ctx-#{File.read("config/note.txt").strip}"
  end
end
