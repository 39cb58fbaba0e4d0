-- host_sum: each host of a trace (several after `merge`): its processes, CUDA calls, the
-- kernels they submitted and their GPU time, and its peak device memory (the sum over
-- its processes' peaks). A merged trace names processes "[host] command".
WITH procs AS (
  SELECT pid, CASE WHEN name LIKE '[%]%' THEN substr(name, 2, instr(name, ']') - 2)
                   ELSE COALESCE((SELECT value FROM META WHERE key = 'host'), 'this host')
              END AS host
  FROM PROCESSES WHERE kind = 'host'
),
calls AS (SELECT pid, COUNT(*) AS n, SUM(dur) AS ns FROM api_calls GROUP BY pid),
gpu AS (
  SELECT a.pid, COUNT(*) AS n, SUM(k.end - k.start) AS ns
  FROM kernels k JOIN CUPTI_ACTIVITY_KIND_RUNTIME a USING (correlationId)
  GROUP BY a.pid
),
mem AS (SELECT pid, MAX(value) AS peak FROM COUNTERS GROUP BY pid)
SELECT COUNT(*) AS "Processes", COALESCE(SUM(c.n), 0) AS "API Calls",
       COALESCE(SUM(c.ns), 0) AS "API Time (ns)", COALESCE(SUM(g.n), 0) AS "Kernels",
       COALESCE(SUM(g.ns), 0) AS "Kernel Time (ns)",
       COALESCE(SUM(m.peak), 0) AS "Peak Memory (bytes)", p.host AS "Host"
FROM procs p LEFT JOIN calls c USING (pid) LEFT JOIN gpu g USING (pid) LEFT JOIN mem m USING (pid)
GROUP BY p.host ORDER BY COALESCE(SUM(c.ns), 0) DESC;
