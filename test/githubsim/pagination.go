package githubsim

import (
	"net/url"
	"strconv"
	"strings"
)

// paginate applies GitHub's page/per_page (default 30, max 100) to a list of
// n items and builds the Link header clients follow for the next pages.
func paginate(c *call, n int) (lo, hi int, link string) {
	q := c.r.URL.Query()
	per := atoiDefault(q.Get("per_page"), 30)
	if per < 1 {
		per = 30
	}
	per = min(per, 100)
	page := max(atoiDefault(q.Get("page"), 1), 1)
	lo = min((page-1)*per, n)
	hi = min(lo+per, n)
	last := max((n+per-1)/per, 1)
	if last <= 1 {
		return lo, hi, ""
	}
	pageURL := func(p int) string {
		u := *c.r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		u.RawQuery = v.Encode()
		return "<" + strings.TrimSuffix(c.base, "/") + (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}).String() + ">"
	}
	var parts []string
	if page < last {
		parts = append(parts, pageURL(page+1)+`; rel="next"`, pageURL(last)+`; rel="last"`)
	}
	if page > 1 {
		parts = append(parts, pageURL(1)+`; rel="first"`, pageURL(page-1)+`; rel="prev"`)
	}
	return lo, hi, strings.Join(parts, ", ")
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func withLink(rep *reply, link string) *reply {
	if link != "" {
		rep.header = map[string]string{"Link": link}
	}
	return rep
}
