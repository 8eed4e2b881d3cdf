package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/schedule"
	"github.com/hearth-run/hearth/internal/store"
)

// RuleStore keeps EventBridge scheduled rules.
type RuleStore interface {
	PutRule(name string, change func(r *store.Rule, existed bool) error) (*store.Rule, error)
	UpdateRule(name string, change func(r *store.Rule) error) (*store.Rule, error)
	Rule(name string) (*store.Rule, error)
	DeleteRule(name string) error
	ListRules() ([]*store.Rule, error)
}

// RulesChanged is told after every change to rules, so the scheduler
// reloads them.
type RulesChanged interface {
	Reload()
}

// eventsError is an error of the EventBridge JSON 1.1 protocol.
func eventsError(typ, msg string) *awsError {
	return &awsError{Status: http.StatusBadRequest, Type: typ, Msg: msg}
}

var ruleNameRE = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

// eventsHandlers are EventBridge operations by X-Amz-Target.
func (s *Server) eventsHandlers() map[string]func([]byte) (any, error) {
	return map[string]func([]byte) (any, error){
		"AWSEvents.PutRule":           s.putRule,
		"AWSEvents.DescribeRule":      s.describeRule,
		"AWSEvents.ListRules":         s.listRules,
		"AWSEvents.DeleteRule":        s.deleteRule,
		"AWSEvents.EnableRule":        s.setRuleState("ENABLED"),
		"AWSEvents.DisableRule":       s.setRuleState("DISABLED"),
		"AWSEvents.PutTargets":        s.putTargets,
		"AWSEvents.RemoveTargets":     s.removeTargets,
		"AWSEvents.ListTargetsByRule": s.listTargetsByRule,
	}
}

// serveEvents answers EventBridge's JSON 1.1 protocol: POST / with the
// operation in X-Amz-Target, signed for service "events".
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		body, id, release, err := s.authenticateID(r, "events", maxSmallRequest, "X-Amz-Target")
		defer release()
		if errors.Is(err, errBodyTooLarge) {
			return eventsError("ValidationException", "Request must be smaller than "+strconv.Itoa(maxSmallRequest)+" bytes")
		}
		if err == nil {
			err = s.authorize(r, id, "events:"+r.Header.Get("X-Amz-Target"))
		}
		if err != nil {
			return err
		}
		if s.opts.Rules == nil {
			return eventsError("UnknownOperationException", "EventBridge is not enabled on this server")
		}
		op := s.eventsOps[r.Header.Get("X-Amz-Target")]
		if op == nil {
			return eventsError("UnknownOperationException", "Unknown operation "+sanitize(r.Header.Get("X-Amz-Target")))
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			body = []byte("{}")
		}
		out, err := op(body)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
		return nil
	}()
	if err != nil {
		s.writeEventsError(w, err)
	}
}

func (s *Server) writeEventsError(w http.ResponseWriter, err error) {
	var se *sigv4.Error
	ae := &awsError{}
	switch {
	case errors.As(err, &se):
		ae = errorf(se.HTTPStatus(), se.Code, se.Message)
	case errors.As(err, &ae):
	default:
		s.log.Error("events request failed", "request_id", requestID(w), "err", err)
		ae = errorf(http.StatusInternalServerError, "InternalException", "internal error (request id "+requestID(w)+")")
	}
	if len(ae.Msg) > maxMessage {
		ae.Msg = ae.Msg[:maxMessage] + "..."
	}
	b, _ := json.Marshal(map[string]string{"__type": ae.Type, "message": ae.Msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.Type)
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

func decodeEvents(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return eventsError("SerializationException", "Could not parse the request: "+err.Error())
	}
	return nil
}

func (s *Server) ruleARN(name string) string {
	return "arn:aws:events:" + s.opts.Region + ":" + s.opts.Account + ":rule/" + name
}

func ruleNotFound(name string) error {
	return eventsError("ResourceNotFoundException", "Rule "+name+" does not exist on EventBus default.")
}

func checkRuleName(name string) error {
	if !ruleNameRE.MatchString(name) {
		return eventsError("ValidationException", "1 validation error detected: Value '"+name+
			"' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
	}
	return nil
}

func (s *Server) putRule(body []byte) (any, error) {
	var in struct {
		Name, ScheduleExpression, EventPattern, State, Description string
	}
	if err := decodeEvents(body, &in); err != nil {
		return nil, err
	}
	if err := checkRuleName(in.Name); err != nil {
		return nil, err
	}
	if in.ScheduleExpression == "" {
		if in.EventPattern != "" {
			return nil, eventsError("ValidationException", "Hearth supports scheduled rules only; event patterns are not matched.")
		}
		return nil, eventsError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if _, err := schedule.Parse(in.ScheduleExpression); err != nil {
		return nil, eventsError("ValidationException", "Parameter ScheduleExpression is not valid.")
	}
	switch in.State {
	case "", "ENABLED", "DISABLED":
	default:
		return nil, eventsError("ValidationException", "1 validation error detected: Value '"+in.State+"' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	_, err := s.opts.Rules.PutRule(in.Name, func(r *store.Rule, _ bool) error {
		r.ScheduleExpression, r.Description = in.ScheduleExpression, in.Description
		if in.State != "" {
			r.State = in.State
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.rulesChanged()
	return map[string]string{"RuleArn": s.ruleARN(in.Name)}, nil
}

func (s *Server) rulesChanged() {
	if s.opts.RulesChanged != nil {
		s.opts.RulesChanged.Reload()
	}
}

type ruleOutput struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func (s *Server) ruleOutput(r *store.Rule) ruleOutput {
	return ruleOutput{Name: r.Name, Arn: s.ruleARN(r.Name), ScheduleExpression: r.ScheduleExpression, State: r.State,
		Description: r.Description, EventBusName: "default", CreatedBy: s.opts.Account}
}

func ruleName(body []byte, field string) (string, error) {
	var in map[string]json.RawMessage
	if err := decodeEvents(body, &in); err != nil {
		return "", err
	}
	var name string
	_ = json.Unmarshal(in[field], &name)
	if name == "" {
		return "", eventsError("ValidationException", "1 validation error detected: Value null at '"+strings.ToLower(field[:1])+field[1:]+"' failed to satisfy constraint: Member must not be null")
	}
	return name, nil
}

func (s *Server) describeRule(body []byte) (any, error) {
	name, err := ruleName(body, "Name")
	if err != nil {
		return nil, err
	}
	r, err := s.opts.Rules.Rule(name)
	if err != nil {
		return nil, ruleNotFound(name)
	}
	return s.ruleOutput(r), nil
}

func (s *Server) listRules(body []byte) (any, error) {
	var in struct {
		NamePrefix, NextToken string
		Limit                 int
	}
	if err := decodeEvents(body, &in); err != nil {
		return nil, err
	}
	rules, err := s.opts.Rules.ListRules()
	if err != nil {
		return nil, err
	}
	out := []ruleOutput{}
	next := ""
	for _, r := range rules {
		if !strings.HasPrefix(r.Name, in.NamePrefix) || (in.NextToken != "" && r.Name <= in.NextToken) {
			continue
		}
		if in.Limit > 0 && len(out) == in.Limit {
			next = out[len(out)-1].Name
			break
		}
		out = append(out, s.ruleOutput(r))
	}
	resp := map[string]any{"Rules": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

func (s *Server) deleteRule(body []byte) (any, error) {
	name, err := ruleName(body, "Name")
	if err != nil {
		return nil, err
	}
	r, err := s.opts.Rules.Rule(name)
	if err != nil {
		return struct{}{}, nil // EventBridge deletes a missing rule silently
	}
	if len(r.Targets) > 0 {
		return nil, eventsError("ValidationException", "Rule can't be deleted since it has targets.")
	}
	if err := s.opts.Rules.DeleteRule(name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	s.rulesChanged()
	return struct{}{}, nil
}

func (s *Server) setRuleState(state string) func([]byte) (any, error) {
	return func(body []byte) (any, error) {
		name, err := ruleName(body, "Name")
		if err != nil {
			return nil, err
		}
		if _, err := s.opts.Rules.UpdateRule(name, func(r *store.Rule) error { r.State = state; return nil }); err != nil {
			return nil, ruleNotFound(name)
		}
		s.rulesChanged()
		return struct{}{}, nil
	}
}

type targetInput struct {
	Id    string `json:"Id"`
	Arn   string `json:"Arn"`
	Input string `json:"Input,omitempty"`
}

type failedEntry struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (s *Server) putTargets(body []byte) (any, error) {
	var in struct {
		Rule    string
		Targets []targetInput
	}
	if err := decodeEvents(body, &in); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, eventsError("ValidationException", "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	failed := []failedEntry{}
	_, err := s.opts.Rules.UpdateRule(in.Rule, func(r *store.Rule) error {
		for _, t := range in.Targets {
			if _, _, ok := function.ParseFunctionARN(t.Arn); !ok || t.Id == "" {
				failed = append(failed, failedEntry{TargetId: t.Id, ErrorCode: "ValidationException",
					ErrorMessage: "Hearth rules target Lambda functions only: " + t.Arn})
				continue
			}
			if t.Input != "" && !json.Valid([]byte(t.Input)) {
				failed = append(failed, failedEntry{TargetId: t.Id, ErrorCode: "ValidationException", ErrorMessage: "Input is not valid JSON."})
				continue
			}
			replaced := false
			for i := range r.Targets {
				if r.Targets[i].ID == t.Id {
					r.Targets[i] = store.RuleTarget{ID: t.Id, ARN: t.Arn, Input: t.Input}
					replaced = true
				}
			}
			if !replaced {
				if len(r.Targets) >= 5 {
					return eventsError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
				}
				r.Targets = append(r.Targets, store.RuleTarget{ID: t.Id, ARN: t.Arn, Input: t.Input})
			}
		}
		sort.Slice(r.Targets, func(i, j int) bool { return r.Targets[i].ID < r.Targets[j].ID })
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ruleNotFound(in.Rule)
	}
	if err != nil {
		return nil, err
	}
	s.rulesChanged()
	return map[string]any{"FailedEntryCount": len(failed), "FailedEntries": failed}, nil
}

func (s *Server) removeTargets(body []byte) (any, error) {
	var in struct {
		Rule string
		Ids  []string
	}
	if err := decodeEvents(body, &in); err != nil {
		return nil, err
	}
	_, err := s.opts.Rules.UpdateRule(in.Rule, func(r *store.Rule) error {
		drop := map[string]bool{}
		for _, id := range in.Ids {
			drop[id] = true
		}
		keep := r.Targets[:0]
		for _, t := range r.Targets {
			if !drop[t.ID] {
				keep = append(keep, t)
			}
		}
		r.Targets = keep
		return nil
	})
	if err != nil {
		return nil, ruleNotFound(in.Rule)
	}
	s.rulesChanged()
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []failedEntry{}}, nil
}

func (s *Server) listTargetsByRule(body []byte) (any, error) {
	name, err := ruleName(body, "Rule")
	if err != nil {
		return nil, err
	}
	r, err := s.opts.Rules.Rule(name)
	if err != nil {
		return nil, ruleNotFound(name)
	}
	out := []targetInput{}
	for _, t := range r.Targets {
		out = append(out, targetInput{Id: t.ID, Arn: t.ARN, Input: t.Input})
	}
	return map[string]any{"Targets": out}, nil
}
