-- cuda_api_sum: the CUDA driver API calls, by function, as `nsys stats` reports them.
-- A function's exported variants (cuLaunchKernel, cuLaunchKernel_ptsz, ...) are one row,
-- split in Variants. Times in ns; Med is the median as nsys computes it (for an even count,
-- the mean of the middle two), StdDev the sample standard deviation.
-- Copy and adapt: tracesmith-bpf query FILE "$(cat THIS)".
WITH calls AS (
  SELECT COALESCE(api, name) AS fn, name AS variant, dur FROM api_calls
),
agg AS (
  SELECT fn, SUM(dur) AS total, COUNT(*) AS num, AVG(dur) AS mean, MIN(dur) AS lo,
         MAX(dur) AS hi
  FROM calls GROUP BY fn
),
ranked AS (
  SELECT fn, dur, ROW_NUMBER() OVER (PARTITION BY fn ORDER BY dur) AS rn,
         COUNT(*) OVER (PARTITION BY fn) AS n
  FROM calls
),
med AS (SELECT fn, AVG(dur) AS med FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY fn),
sd AS (
  SELECT c.fn, CASE WHEN a.num > 1
         THEN sqrt(SUM((c.dur - a.mean) * (c.dur - a.mean)) / (a.num - 1)) ELSE 0 END AS sd
  FROM calls c JOIN agg a USING (fn) GROUP BY c.fn
),
var AS (
  SELECT fn, group_concat(variant || ' ' || cnt, ', ') AS variants
  FROM (SELECT fn, variant, COUNT(*) AS cnt FROM calls GROUP BY fn, variant
        ORDER BY fn, cnt DESC, variant)
  GROUP BY fn
)
SELECT ROUND(100.0 * a.total / (SELECT SUM(total) FROM agg), 1) AS "Time (%)",
       a.total AS "Total Time (ns)", a.num AS "Num Calls", ROUND(a.mean, 1) AS "Avg (ns)",
       ROUND(m.med, 1) AS "Med (ns)", a.lo AS "Min (ns)", a.hi AS "Max (ns)",
       ROUND(s.sd, 1) AS "StdDev (ns)", v.variants AS "Variants", a.fn AS "Name"
FROM agg a JOIN med m USING (fn) JOIN sd s USING (fn) JOIN var v USING (fn)
ORDER BY a.total DESC, a.fn;
