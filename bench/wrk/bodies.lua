-- wrk script: POSTs the bodies of the file named by $BODIES, one per line, in turn, to the
-- path given on wrk's command line, with the content type of $CONTENT_TYPE. Each wrk thread
-- starts at its own offset, so that no two threads send the same body. The bodies are sent
-- in turn, again from the first once all have been sent.
local bodies = {}
local n = 0
local i = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    n = n + 1
    bodies[n] = line
  end
  i = (offset or 0) * math.floor(n / 8)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/x-www-form-urlencoded"
  wrk.headers["Accept"] = "application/json"
end

function request()
  i = i % n + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

-- One line wrk's caller can read: requests, p50/p99/max latency in microseconds, non-2xx.
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
