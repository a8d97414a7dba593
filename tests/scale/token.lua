-- wrk: POST /token, client_credentials with client_secret_basic. ZTA_BASIC is the
-- base64 of "id:secret", ZTA_BODY the form. Prints one line the tests and benchmarks read:
--   requests N ok N non2xx N errors N rps R p99_ms MS
wrk.method = "POST"
wrk.body = os.getenv("ZTA_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("ZTA_BASIC")

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout
  io.write(string.format("requests %d ok %d non2xx %d errors %d rps %.0f p99_ms %.2f\n",
    summary.requests, summary.requests - summary.errors.status, summary.errors.status, errors,
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000))
end
