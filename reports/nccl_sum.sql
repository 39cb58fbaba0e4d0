-- nccl_sum: NCCL operations by name and communicator: calls, bytes (per rank, as passed),
-- host time, and the GPU time of the kernels each call launched (joined through
-- NCCL_LAUNCHES). With --gpu-time, algorithm and bus bandwidth by NCCL's definitions
-- (nccl-tests' PERFORMANCE.md): algbw = size / time, size being the per-rank buffer
-- (AllGather, ReduceScatter, AlltoAll: times the rank count), busbw = algbw * factor
-- (AllReduce 2(n-1)/n; AllGather, ReduceScatter, AlltoAll (n-1)/n; the others 1), in GB/s.
-- Grouped operations launch at ncclGroupEnd: their GPU time is that call's.
WITH k AS (
  SELECT l.ncclCorrelationId AS corr, SUM(kk.end - kk.start) AS ns,
         MIN(kk.timing = 'gpu') AS measured
  FROM NCCL_LAUNCHES l JOIN kernels kk USING (correlationId)
  GROUP BY l.ncclCorrelationId
),
ops AS (
  SELECT s.value AS name, n.communicator, n.nranks, n.bytes, n.end - n.start AS host_ns,
         k.ns AS gpu_ns, k.measured,
         n.bytes * CASE WHEN s.value IN ('ncclAllGather', 'ncclReduceScatter', 'ncclAlltoAll')
                        THEN n.nranks ELSE 1 END AS size,
         CASE WHEN s.value = 'ncclAllReduce' THEN 2.0 * (n.nranks - 1) / n.nranks
              WHEN s.value IN ('ncclAllGather', 'ncclReduceScatter', 'ncclAlltoAll')
              THEN 1.0 * (n.nranks - 1) / n.nranks
              ELSE 1.0 END AS factor
  FROM NCCL_CALLS n JOIN StringIds s ON s.id = n.nameId
  LEFT JOIN k ON k.corr = n.correlationId
  WHERE n.bytes IS NOT NULL
)
SELECT name AS "Operation", COALESCE(communicator, '?') AS "Communicator",
       MAX(nranks) AS "Ranks", COUNT(*) AS "Num Calls", SUM(bytes) AS "Total Bytes",
       SUM(host_ns) AS "Host Time (ns)", SUM(gpu_ns) AS "GPU Time (ns)",
       CASE WHEN MIN(measured) = 1 AND SUM(gpu_ns) > 0
            THEN ROUND(1.0 * SUM(size) / SUM(gpu_ns), 3) END AS "Algbw (GB/s)",
       CASE WHEN MIN(measured) = 1 AND SUM(gpu_ns) > 0
            THEN ROUND(1.0 * SUM(size) / SUM(gpu_ns) * MAX(factor), 3) END AS "Busbw (GB/s)"
FROM ops GROUP BY name, communicator
ORDER BY COALESCE(SUM(gpu_ns), 0) DESC, SUM(host_ns) DESC, name;
