package health

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// argoHealth runs a health script the way Argo CD runs a custom health check from argocd-cm
// (util/lua in argoproj/argo-cd, with the default useOpenLibs=false): a fresh gopher-lua state with only
// the package, base and table libraries (no string, math or io), a one-second deadline, the resource as
// the global obj (converted as Argo CD converts it), and the table the chunk returns read as
// {status, message}. A status Argo CD does not know becomes Unknown, as in Argo CD.
//
// Argo CD also opens a restricted os library; the script does not use os, so it is left out here, which
// makes this stricter than Argo CD, never laxer.
func argoHealth(script string, obj map[string]any) (status, message string, err error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	ret := l.Get(-1)
	tbl, ok := ret.(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	var hs struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	b, err := json.Marshal(encodeValue(tbl))
	if err != nil {
		return "", "", err
	}
	if err := json.Unmarshal(b, &hs); err != nil {
		return "", "", err
	}
	switch hs.Status {
	case "Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing":
		return hs.Status, hs.Message, nil
	}
	return "Unknown", "Lua returned an invalid health status", nil
}

// decodeValue converts an unstructured object's values into Lua values as Argo CD does: maps and slices to
// tables, int64 and float64 to numbers, json.Number to strings.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// encodeValue converts the returned table back for JSON (only string keys matter for a health status).
func encodeValue(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return float64(x)
	case lua.LBool:
		return bool(x)
	case *lua.LTable:
		m := map[string]any{}
		x.ForEach(func(k, val lua.LValue) {
			m[k.String()] = encodeValue(val)
		})
		return m
	}
	return nil
}
