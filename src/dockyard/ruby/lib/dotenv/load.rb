# `require "dotenv/load"`: as in the gem, loads .env into ENV.
require "dotenv"

Dotenv.load
