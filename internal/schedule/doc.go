// Package schedule runs Hearth's scheduled rules: EventBridge's rate() and
// cron() expressions that invoke functions on a timetable, such as the
// once-a-minute "warmers" that keep an environment warm.
//
// # Expressions
//
// Parse accepts what EventBridge accepts for scheduled rules, in UTC:
// rate(value unit), where unit is minute, hour or day and is singular exactly
// when value is 1, and cron(Minutes Hours Day-of-month Month Day-of-week
// Year) with the wildcards , - * / ? L W # and the names JAN-DEC and
// SUN-SAT (1 = SUN). One of Day-of-month and Day-of-week must be '?'. A bad
// expression is rejected with EventBridge's message, "Parameter
// ScheduleExpression is not valid."
//
// # Firing
//
// A rate schedule counts from the moment its rule is created or loaded, as on
// EventBridge. Firings missed while Hearth was down, or while the process
// could not run, are not replayed: after a gap at most one firing happens and
// the schedule continues from the present.
package schedule
