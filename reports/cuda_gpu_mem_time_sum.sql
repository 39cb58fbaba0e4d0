-- cuda_gpu_mem_time_sum: GPU memory operations (copies by direction, memsets) by time, as
-- `nsys stats` reports them. Times in ns (Timing: gpu = measured with --gpu-time).
WITH ops AS (
  SELECT '[CUDA memcpy ' || CASE direction WHEN 'HtoD' THEN 'Host-to-Device'
           WHEN 'DtoH' THEN 'Device-to-Host' WHEN 'DtoD' THEN 'Device-to-Device'
           WHEN 'HtoH' THEN 'Host-to-Host' WHEN 'PtoP' THEN 'Peer-to-Peer'
           ELSE 'Unknown' END || ']' AS op, dur, bytes, timing FROM copies
  UNION ALL SELECT '[CUDA memset]', dur, bytes, timing FROM memsets
),
agg AS (
  SELECT op, SUM(dur) AS total, COUNT(*) AS num, AVG(dur) AS mean, MIN(dur) AS lo,
         MAX(dur) AS hi,
         CASE WHEN MIN(timing) = MAX(timing) THEN MIN(timing) ELSE 'mixed' END AS timing
  FROM ops GROUP BY op
),
ranked AS (
  SELECT op, dur, ROW_NUMBER() OVER (PARTITION BY op ORDER BY dur) AS rn,
         COUNT(*) OVER (PARTITION BY op) AS n
  FROM ops
),
med AS (SELECT op, AVG(dur) AS med FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY op),
sd AS (
  SELECT o.op, CASE WHEN a.num > 1
         THEN sqrt(SUM((o.dur - a.mean) * (o.dur - a.mean)) / (a.num - 1)) ELSE 0 END AS sd
  FROM ops o JOIN agg a USING (op) GROUP BY o.op
)
SELECT ROUND(100.0 * a.total / (SELECT SUM(total) FROM agg), 1) AS "Time (%)",
       a.total AS "Total Time (ns)", a.num AS "Count", ROUND(a.mean, 1) AS "Avg (ns)",
       ROUND(m.med, 1) AS "Med (ns)", a.lo AS "Min (ns)", a.hi AS "Max (ns)",
       ROUND(s.sd, 1) AS "StdDev (ns)", a.timing AS "Timing", a.op AS "Operation"
FROM agg a JOIN med m USING (op) JOIN sd s USING (op)
ORDER BY a.total DESC, a.op;
