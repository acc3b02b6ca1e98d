package github

import (
	"context"
	"encoding/json"
	"strings"
)

// OrgRepository is what a SecurePipelineSet's selector needs to know of one repository of an organisation.
type OrgRepository struct {
	ID   int64
	Name string
	// Visibility is "public", "private" or "internal".
	Visibility string
	Archived   bool
	// Topics are lower-case, as GitHub stores them.
	Topics []string
}

// Organizations lists an organisation's repositories and their custom property values.
type Organizations interface {
	// ListOrgRepositories lists every repository of org the credentials can see (all pages, ETag-cached
	// page by page). An organisation that does not exist, or that the credentials cannot see, is a
	// NotFound error.
	ListOrgRepositories(ctx context.Context, org string) ([]OrgRepository, error)
	// ListCustomPropertyValues returns org's custom property values by repository name (lower-cased)
	// and then property name (lower-cased, as GitHub compares them); a multi-select property has several
	// values, an unset one is absent.
	ListCustomPropertyValues(ctx context.Context, org string) (map[string]map[string][]string, error)
}

var _ Organizations = (*client)(nil)

// orgRepo is the part of GitHub's minimal-repository the operator decodes: a thousand full repository
// objects would be megabytes held for nothing.
type orgRepo struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Private    bool     `json:"private"`
	Visibility string   `json:"visibility"`
	Archived   bool     `json:"archived"`
	Topics     []string `json:"topics"`
}

// ListOrgRepositories implements Organizations.
func (c *client) ListOrgRepositories(ctx context.Context, org string) ([]OrgRepository, error) {
	var out []OrgRepository
	err := listPages(ctx, c, "orgs/"+esc(org)+"/repos?type=all&sort=full_name", func(page []orgRepo) {
		for _, r := range page {
			vis := strings.ToLower(r.Visibility)
			if vis == "" { // GitHub Enterprise Server before 3.x does not send visibility
				vis = "public"
				if r.Private {
					vis = "private"
				}
			}
			topics := make([]string, 0, len(r.Topics))
			for _, t := range r.Topics {
				topics = append(topics, strings.ToLower(t))
			}
			out = append(out, OrgRepository{ID: r.ID, Name: r.Name, Visibility: vis, Archived: r.Archived, Topics: topics})
		}
	})
	if err != nil {
		return nil, fail(err, "listing the repositories of organisation %s", org)
	}
	return out, nil
}

// propertyValues is one entry of GET /orgs/{org}/properties/values. A value is a string, an array of
// strings (multi-select) or null, which go-github v60's *string cannot hold.
type propertyValues struct {
	RepositoryName string `json:"repository_name"`
	Properties     []struct {
		PropertyName string          `json:"property_name"`
		Value        json.RawMessage `json:"value"`
	} `json:"properties"`
}

// ListCustomPropertyValues implements Organizations.
func (c *client) ListCustomPropertyValues(ctx context.Context, org string) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	err := listPages(ctx, c, "orgs/"+esc(org)+"/properties/values", func(page []propertyValues) {
		for _, r := range page {
			props := map[string][]string{}
			for _, p := range r.Properties {
				if vals := propertyValue(p.Value); len(vals) > 0 {
					props[strings.ToLower(p.PropertyName)] = vals
				}
			}
			out[strings.ToLower(r.RepositoryName)] = props
		}
	})
	if err != nil {
		return nil, fail(err, "listing the custom property values of organisation %s", org)
	}
	return out, nil
}

// propertyValue decodes a custom property value: a string, an array of strings, or null.
func propertyValue(raw json.RawMessage) []string {
	if t := strings.TrimSpace(string(raw)); t == "" || t == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	return nil
}
