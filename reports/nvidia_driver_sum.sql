-- nvidia_driver_sum: the kernel driver layer (ioctl/mmap/open/close on /dev/nvidia*) by
-- operation, decoded (RM_CONTROL NV2080_..., UVM_...). Times in ns, as the other reports.
WITH d AS (SELECT name, dur, returnValue FROM driver_calls),
agg AS (
  SELECT name, SUM(dur) AS total, COUNT(*) AS num, AVG(dur) AS mean, MIN(dur) AS lo,
         MAX(dur) AS hi, SUM(returnValue < 0) AS failed
  FROM d GROUP BY name
),
ranked AS (
  SELECT name, dur, ROW_NUMBER() OVER (PARTITION BY name ORDER BY dur) AS rn,
         COUNT(*) OVER (PARTITION BY name) AS n
  FROM d
),
med AS (SELECT name, dur AS med FROM ranked WHERE rn = (n + 1) / 2)
SELECT ROUND(100.0 * a.total / (SELECT SUM(total) FROM agg), 1) AS "Time (%)",
       a.total AS "Total Time (ns)", a.num AS "Num Calls", ROUND(a.mean, 1) AS "Avg (ns)",
       m.med AS "Med (ns)", a.lo AS "Min (ns)", a.hi AS "Max (ns)", a.failed AS "Syscall Errors",
       a.name AS "Name"
FROM agg a JOIN med m USING (name)
ORDER BY a.total DESC, a.name;
