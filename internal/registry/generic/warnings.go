package generic

import "context"

type warningsKey struct{}

// WithWarnings returns ctx whose AddWarning calls go to add (which
// becomes a response's Warning header).
func WithWarnings(ctx context.Context, add func(msg string)) context.Context {
	return context.WithValue(ctx, warningsKey{}, add)
}

// AddWarning tells the client msg, as admission webhooks' and policies'
// warnings are told; without WithWarnings it is dropped.
func AddWarning(ctx context.Context, msg string) {
	if add, ok := ctx.Value(warningsKey{}).(func(string)); ok {
		add(msg)
	}
}
