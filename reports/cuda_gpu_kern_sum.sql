-- cuda_gpu_kern_sum: GPU kernels by name, as `nsys stats` reports them. Graph launches are
-- not kernels: their nodes are. Times in ns: measured on the GPU where the trace has them
-- (--gpu-time), else the submitting call's (Timing says which: gpu, host or mixed). Med is
-- the median as nsys computes it (for an even count, the mean of the middle two). With
-- --gpu-time, what CUPTI says of the kernel: the most registers per thread, static, dynamic
-- and local (per thread) memory of its launches, and their mean occupancy as Kineto
-- estimates it (empty when not measured).
WITH k AS (SELECT name, dur, timing, registersPerThread AS regs, staticSharedMemory AS smem,
                  dynamicSharedMemory AS dsmem, localMemoryPerThread AS lmem,
                  occupancyPct AS occ FROM kernels),
agg AS (
  SELECT name, SUM(dur) AS total, COUNT(*) AS num, AVG(dur) AS mean, MIN(dur) AS lo,
         MAX(dur) AS hi,
         CASE WHEN MIN(timing) = MAX(timing) THEN MIN(timing) ELSE 'mixed' END AS timing,
         MAX(regs) AS regs, MAX(smem) AS smem, MAX(dsmem) AS dsmem, MAX(lmem) AS lmem,
         ROUND(AVG(occ), 1) AS occ
  FROM k GROUP BY name
),
ranked AS (
  SELECT name, dur, ROW_NUMBER() OVER (PARTITION BY name ORDER BY dur) AS rn,
         COUNT(*) OVER (PARTITION BY name) AS n
  FROM k
),
med AS (SELECT name, AVG(dur) AS med FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY name),
sd AS (
  SELECT k.name, CASE WHEN a.num > 1
         THEN sqrt(SUM((k.dur - a.mean) * (k.dur - a.mean)) / (a.num - 1)) ELSE 0 END AS sd
  FROM k JOIN agg a USING (name) GROUP BY k.name
)
SELECT ROUND(100.0 * a.total / (SELECT SUM(total) FROM agg), 1) AS "Time (%)",
       a.total AS "Total Time (ns)", a.num AS "Instances", ROUND(a.mean, 1) AS "Avg (ns)",
       ROUND(m.med, 1) AS "Med (ns)", a.lo AS "Min (ns)", a.hi AS "Max (ns)",
       ROUND(s.sd, 1) AS "StdDev (ns)", a.timing AS "Timing", a.regs AS "Regs",
       a.smem AS "Static SMem (bytes)", a.dsmem AS "Dyn SMem (bytes)",
       a.lmem AS "Local Mem (bytes)", a.occ AS "Occupancy (%)", a.name AS "Name"
FROM agg a JOIN med m USING (name) JOIN sd s USING (name)
ORDER BY a.total DESC, a.name;
