-- gpu_stream_sum: each GPU track (a stream; "(submitted)" when its times are the
-- submitting calls'): operations, busy time and how much of its active span it was busy.
WITH ops AS (
  SELECT deviceId, trackId, start, end FROM kernels
  UNION ALL SELECT deviceId, trackId, start, end FROM copies
  UNION ALL SELECT deviceId, trackId, start, end FROM memsets
)
SELECT o.deviceId AS "Device", COUNT(*) AS "Ops", SUM(o.end - o.start) AS "Busy (ns)",
       MAX(o.end) - MIN(o.start) AS "Span (ns)",
       ROUND(100.0 * SUM(o.end - o.start) / MAX(MAX(o.end) - MIN(o.start), 1), 1) AS "Busy (%)",
       COALESCE(t.name, 'track ' || o.trackId) AS "Stream"
FROM ops o LEFT JOIN GPU_TRACKS t USING (deviceId, trackId)
GROUP BY o.deviceId, o.trackId ORDER BY SUM(o.end - o.start) DESC;
