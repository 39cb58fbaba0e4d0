-- process_sum: each traced process: its CUDA calls, the GPU work they submitted
-- (joined by correlationId), and its device memory (peak and at the end, from the counter).
WITH calls AS (SELECT pid, COUNT(*) AS n, SUM(dur) AS ns FROM api_calls GROUP BY pid),
gpu AS (
  SELECT a.pid, COUNT(*) AS n, SUM(k.end - k.start) AS ns
  FROM kernels k JOIN CUPTI_ACTIVITY_KIND_RUNTIME a USING (correlationId)
  GROUP BY a.pid
),
mem AS (
  SELECT pid, MAX(value) AS peak,
         (SELECT value FROM COUNTERS c2 WHERE c2.pid = c.pid ORDER BY ts DESC LIMIT 1) AS last
  FROM COUNTERS c GROUP BY pid
)
SELECT p.pid AS "PID", COALESCE(c.n, 0) AS "API Calls", COALESCE(c.ns, 0) AS "API Time (ns)",
       COALESCE(g.n, 0) AS "Kernels", COALESCE(g.ns, 0) AS "Kernel Time (ns)",
       COALESCE(m.peak, 0) AS "Peak Memory (bytes)", COALESCE(m.last, 0) AS "Memory At End (bytes)",
       p.name AS "Command"
FROM PROCESSES p LEFT JOIN calls c USING (pid) LEFT JOIN gpu g USING (pid)
LEFT JOIN mem m USING (pid)
WHERE p.kind = 'host' ORDER BY COALESCE(c.ns, 0) DESC;
