package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"

	"github.com/hearth-run/hearth/internal/function"
)

// Patterns of AddLayerVersionPermission's parameters, from Lambda's API.
var (
	statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,100}$`)
	layerActionRE = regexp.MustCompile(`^lambda:GetLayerVersion$`)
	layerPrincRE  = regexp.MustCompile(`^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$`)
	orgIDRE       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

type addLayerPermissionInput struct {
	StatementId    string `json:"StatementId"`
	Action         string `json:"Action"`
	Principal      string `json:"Principal"`
	OrganizationId string `json:"OrganizationId"`
}

func (in *addLayerPermissionInput) validate() error {
	switch {
	case !statementIDRE.MatchString(in.StatementId):
		return validation("statementId", in.StatementId, "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	case !layerActionRE.MatchString(in.Action):
		return validation("action", in.Action, "Member must satisfy regular expression pattern: lambda:GetLayerVersion")
	case !layerPrincRE.MatchString(in.Principal):
		return validation("principal", in.Principal, `Member must satisfy regular expression pattern: \d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root`)
	case in.OrganizationId != "" && !orgIDRE.MatchString(in.OrganizationId):
		return validation("organizationId", in.OrganizationId, "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}")
	}
	return nil
}

// layerStatement renders one stored statement as Lambda's policy JSON does.
func (s *Server) layerStatement(lv *function.LayerVersion, st function.LayerStatement) map[string]any {
	var principal any = "*"
	if st.Principal != "*" {
		p := st.Principal
		if len(p) == 12 {
			p = "arn:aws:iam::" + p + ":root"
		}
		principal = map[string]string{"AWS": p}
	}
	out := map[string]any{
		"Sid": st.Sid, "Effect": "Allow", "Principal": principal,
		"Action": st.Action, "Resource": s.layerVersionARN(lv),
	}
	if st.OrganizationID != "" {
		out["Condition"] = map[string]any{"StringEquals": map[string]string{"aws:PrincipalOrgID": st.OrganizationID}}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkPolicyRevision refuses a change based on an outdated policy.
func checkPolicyRevision(lv *function.LayerVersion, revision string) error {
	if revision != "" && revision != lv.PolicyRevision {
		return errorf(http.StatusPreconditionFailed, typePrecondition,
			"The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
	}
	return nil
}

func (s *Server) addLayerPermission(w http.ResponseWriter, r *http.Request, body []byte) error {
	lv, err := s.lookupLayer(r)
	if err != nil {
		return err
	}
	var in addLayerPermissionInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	st := function.LayerStatement{Sid: in.StatementId, Action: in.Action, Principal: in.Principal, OrganizationID: in.OrganizationId}
	lv, err = s.opts.Store.UpdateLayerVersion(lv.Name, lv.Version, func(lv *function.LayerVersion) error {
		if err := checkPolicyRevision(lv, r.URL.Query().Get("RevisionId")); err != nil {
			return err
		}
		if slices.ContainsFunc(lv.Policy, func(o function.LayerStatement) bool { return o.Sid == st.Sid }) {
			return errorf(http.StatusConflict, typeConflict, "The statement id ("+st.Sid+
				") provided already exists. Please provide a new statement id, or remove the existing statement.")
		}
		lv.Policy = append(lv.Policy, st)
		lv.PolicyRevision = function.NewRevisionID()
		return nil
	})
	if err != nil {
		return notFoundAsLayer(err)
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"Statement": mustJSON(s.layerStatement(lv, st)), "RevisionId": lv.PolicyRevision,
	})
	return nil
}

func (s *Server) getLayerPolicy(w http.ResponseWriter, r *http.Request, _ []byte) error {
	lv, err := s.lookupLayer(r)
	if err != nil {
		return err
	}
	if len(lv.Policy) == 0 {
		return errorf(http.StatusNotFound, typeNotFound, "No policy is associated with the given resource.")
	}
	statements := make([]map[string]any, len(lv.Policy))
	for i, st := range lv.Policy {
		statements[i] = s.layerStatement(lv, st)
	}
	policy := map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": statements}
	writeJSON(w, http.StatusOK, map[string]string{"Policy": mustJSON(policy), "RevisionId": lv.PolicyRevision})
	return nil
}

func (s *Server) removeLayerPermission(w http.ResponseWriter, r *http.Request, _ []byte) error {
	lv, err := s.lookupLayer(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("sid")
	_, err = s.opts.Store.UpdateLayerVersion(lv.Name, lv.Version, func(lv *function.LayerVersion) error {
		if err := checkPolicyRevision(lv, r.URL.Query().Get("RevisionId")); err != nil {
			return err
		}
		i := slices.IndexFunc(lv.Policy, func(o function.LayerStatement) bool { return o.Sid == sid })
		if i < 0 {
			return errorf(http.StatusNotFound, typeNotFound, "Statement "+sid+" is not found in resource policy.")
		}
		lv.Policy = slices.Delete(lv.Policy, i, i+1)
		lv.PolicyRevision = function.NewRevisionID()
		return nil
	})
	if err != nil {
		return notFoundAsLayer(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notFoundAsLayer words a version deleted meanwhile as Lambda does.
func notFoundAsLayer(err error) error {
	if _, ok := err.(*awsError); !ok && isNotFound(err) {
		return layerNotFound()
	}
	return err
}
