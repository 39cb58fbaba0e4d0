-- callsite_sum: GPU work by the call stack that submitted it (--stacks): kernels, copies and
-- memsets (graph launches as their nodes), joined to their submitting call by correlationId
-- and to its stack (CALL_STACK_IDS, CALLSTACKS). Times in ns: measured on the GPU where
-- the trace has them (--gpu-time), else the submitting call's (Timing: gpu, host or mixed).
-- Work whose call has no stack (traced without --stacks, or submitted before the tracer
-- attached) is one row with no Stack Id. Frames of a stack: SELECT * FROM callstack_frames
-- WHERE stackId = N ORDER BY depth (0 innermost).
WITH w AS (
  SELECT correlationId, dur, timing FROM kernels
  UNION ALL SELECT correlationId, dur, timing FROM copies
  UNION ALL SELECT correlationId, dur, timing FROM memsets
),
ws AS (
  SELECT w.correlationId, w.dur, w.timing, c.stackId
  FROM w LEFT JOIN CALL_STACK_IDS c ON c.correlationId = w.correlationId AND w.correlationId != 0
),
agg AS (
  SELECT stackId, COUNT(*) AS num, COUNT(DISTINCT correlationId) AS calls, SUM(dur) AS total,
         AVG(dur) AS mean,
         CASE WHEN MIN(timing) = MAX(timing) THEN MIN(timing) ELSE 'mixed' END AS timing
  FROM ws GROUP BY stackId
)
SELECT ROUND(100.0 * a.total / (SELECT SUM(total) FROM agg), 1) AS "Time (%)",
       a.total AS "Total Time (ns)", a.num AS "Instances", a.calls AS "Calls",
       ROUND(a.mean, 1) AS "Avg (ns)", a.timing AS "Timing", a.stackId AS "Stack Id",
       k.caller AS "Caller", k.pyStack AS "Python Stack"
FROM agg a LEFT JOIN CALLSTACKS k ON k.id = a.stackId
ORDER BY a.total DESC, a.num DESC, a.stackId IS NULL, a.stackId;
