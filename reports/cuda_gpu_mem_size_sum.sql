-- cuda_gpu_mem_size_sum: GPU memory operations (copies by direction, memsets) by size, as
-- `nsys stats` reports them, in bytes (exact; nsys rounds to MB).
WITH ops AS (
  SELECT '[CUDA memcpy ' || CASE direction WHEN 'HtoD' THEN 'Host-to-Device'
           WHEN 'DtoH' THEN 'Device-to-Host' WHEN 'DtoD' THEN 'Device-to-Device'
           WHEN 'HtoH' THEN 'Host-to-Host' WHEN 'PtoP' THEN 'Peer-to-Peer'
           ELSE 'Unknown' END || ']' AS op, bytes FROM copies
  UNION ALL SELECT '[CUDA memset]', bytes FROM memsets
),
agg AS (
  SELECT op, SUM(bytes) AS total, COUNT(*) AS num, AVG(bytes) AS mean, MIN(bytes) AS lo,
         MAX(bytes) AS hi
  FROM ops GROUP BY op
),
ranked AS (
  SELECT op, bytes, ROW_NUMBER() OVER (PARTITION BY op ORDER BY bytes) AS rn,
         COUNT(*) OVER (PARTITION BY op) AS n
  FROM ops
),
med AS (SELECT op, AVG(bytes) AS med FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY op),
sd AS (
  SELECT o.op, CASE WHEN a.num > 1
         THEN sqrt(SUM((o.bytes - a.mean) * (o.bytes - a.mean)) / (a.num - 1)) ELSE 0 END AS sd
  FROM ops o JOIN agg a USING (op) GROUP BY o.op
)
SELECT a.total AS "Total (bytes)", a.num AS "Count", ROUND(a.mean, 1) AS "Avg (bytes)",
       ROUND(m.med, 1) AS "Med (bytes)", a.lo AS "Min (bytes)", a.hi AS "Max (bytes)",
       ROUND(s.sd, 1) AS "StdDev (bytes)", a.op AS "Operation"
FROM agg a JOIN med m USING (op) JOIN sd s USING (op)
ORDER BY a.total DESC, a.op;
