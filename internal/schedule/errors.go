package schedule

import "errors"

// ErrInvalidExpression is the error of every rejected schedule expression;
// its text is EventBridge's ValidationException message.
var ErrInvalidExpression = errors.New("Parameter ScheduleExpression is not valid.")

// ExpressionError is a rejected schedule expression. Its message is
// EventBridge's; Reason says what is wrong, for logs.
type ExpressionError struct {
	Expression string
	Reason     string
}

func (e *ExpressionError) Error() string { return ErrInvalidExpression.Error() }

// Unwrap makes errors.Is(err, ErrInvalidExpression) hold.
func (e *ExpressionError) Unwrap() error { return ErrInvalidExpression }

func invalid(expr, reason string) error {
	return &ExpressionError{Expression: expr, Reason: reason}
}
