-- wrk: requests the paths of the file BENCH_PATHS in turn, each thread from its own place.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local i = 0

function setup(thread)
  thread:set("start", math.random(#paths))
end

function init(args)
  i = start or 0
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
