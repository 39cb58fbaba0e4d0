-- sync_sum: where the host waited for the GPU: synchronize calls (flags bit 1) by function,
-- and how much of the traced time they took. Times in ns.
WITH s AS (SELECT COALESCE(api, name) AS fn, pid, tid, dur FROM api_calls WHERE flags & 2),
span AS (SELECT MAX(end) - MIN(start) AS ns FROM api_calls)
SELECT ROUND(100.0 * SUM(dur) / (SELECT ns FROM span), 1) AS "Of Trace (%)",
       SUM(dur) AS "Total Time (ns)", COUNT(*) AS "Num Calls", ROUND(AVG(dur), 1) AS "Avg (ns)",
       MAX(dur) AS "Max (ns)", COUNT(DISTINCT tid) AS "Threads", fn AS "Name"
FROM s GROUP BY fn ORDER BY SUM(dur) DESC, fn;
