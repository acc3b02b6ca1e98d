package gen

import (
	"fmt"
	"sort"
)

// Install is what OLM needs of the rendered config/default, sorted into the parts of a bundle.
type Install struct {
	// Deployment is the manager Deployment: the CSV's install strategy.
	Deployment Object
	// ServiceAccount is the Deployment's ServiceAccount name; OLM creates it.
	ServiceAccount string
	// ClusterRules are the rules of every ClusterRole bound to ServiceAccount by a ClusterRoleBinding,
	// in the order of the ClusterRoles' names: the CSV's clusterPermissions.
	ClusterRules []any
	// Rules are the rules of every Role bound to ServiceAccount by a RoleBinding, in the order of the
	// Roles' names: the CSV's permissions (OLM creates them in the operator's namespace).
	Rules []any
	// CRDs go into the bundle as they are.
	CRDs []Object
	// Extra are the other objects OLM installs from a bundle as plain manifests (Services, ClusterRoles
	// that are not bound to the manager such as the metrics reader and the admin/editor/viewer roles).
	Extra []Object
	// Dropped are objects the bundle leaves out, with the reason: the Namespace (OLM's OperatorGroup decides
	// where the operator runs), the ServiceAccount and the bindings (OLM creates them from the CSV), and
	// NetworkPolicies (not every OLM release accepts them in a bundle; apply config/network-policy yourself).
	Dropped map[string]string
}

// Kinds that OLM installs as plain manifests from a registry+v1 bundle, besides the CSV and CRDs.
var bundleKinds = map[string]bool{
	"Service": true, "ClusterRole": true, "Role": true, "ConfigMap": true, "Secret": true,
	"ServiceMonitor": true, "PrometheusRule": true, "PodDisruptionBudget": true, "PriorityClass": true,
	"VerticalPodAutoscaler": true, "ConsoleYAMLSample": true, "ConsoleQuickStart": true, "ConsoleCLIDownload": true,
	"ConsoleLink": true,
}

func id(obj Object) string {
	return fmt.Sprintf("%s %s/%s", Str(obj, "kind"), Str(obj, "metadata", "namespace"), Str(obj, "metadata", "name"))
}

// Classify sorts the rendered config/default into the parts of a bundle. Anything it does not know how
// to carry into a bundle is an error, so nothing config/ installs is silently lost.
func Classify(objs []Object) (*Install, error) {
	inst := &Install{Dropped: map[string]string{}}
	var deployments []Object
	roles := map[string]Object{}
	clusterRoles := map[string]Object{}
	var roleBindings, clusterRoleBindings []Object
	serviceAccounts := map[string]Object{}
	var rest []Object
	for _, obj := range objs {
		switch Str(obj, "kind") {
		case "Deployment":
			deployments = append(deployments, obj)
		case "CustomResourceDefinition":
			inst.CRDs = append(inst.CRDs, obj)
		case "Role":
			roles[Str(obj, "metadata", "name")] = obj
		case "ClusterRole":
			clusterRoles[Str(obj, "metadata", "name")] = obj
		case "RoleBinding":
			roleBindings = append(roleBindings, obj)
		case "ClusterRoleBinding":
			clusterRoleBindings = append(clusterRoleBindings, obj)
		case "ServiceAccount":
			serviceAccounts[Str(obj, "metadata", "name")] = obj
		case "Namespace":
			inst.Dropped[id(obj)] = "OLM installs the operator into its OperatorGroup's namespace"
		case "NetworkPolicy":
			inst.Dropped[id(obj)] = "not every OLM release accepts NetworkPolicies in a bundle; apply config/network-policy yourself"
		default:
			rest = append(rest, obj)
		}
	}
	if len(deployments) != 1 {
		return nil, fmt.Errorf("config/default must render exactly one Deployment (the manager), found %d", len(deployments))
	}
	inst.Deployment = deployments[0]
	inst.ServiceAccount = Str(inst.Deployment, "spec", "template", "spec", "serviceAccountName")
	if _, ok := serviceAccounts[inst.ServiceAccount]; !ok || inst.ServiceAccount == "" {
		return nil, fmt.Errorf("the manager Deployment's ServiceAccount %q is not in config/default", inst.ServiceAccount)
	}
	for name, sa := range serviceAccounts {
		if name != inst.ServiceAccount {
			return nil, fmt.Errorf("%s: only the manager's ServiceAccount can be carried into a bundle", id(sa))
		}
		inst.Dropped[id(sa)] = "OLM creates the manager's ServiceAccount from the CSV"
	}
	namespace := Str(inst.Deployment, "metadata", "namespace")

	boundToManager := func(binding Object) (bool, error) {
		subjects, _ := Get(binding, "subjects").([]any)
		for _, s := range subjects {
			sub, _ := s.(map[string]any)
			if Str(sub, "kind") != "ServiceAccount" || Str(sub, "name") != inst.ServiceAccount ||
				Str(sub, "namespace") != namespace || len(subjects) != 1 {
				return false, fmt.Errorf("%s: a bundle can only carry bindings of the manager's ServiceAccount alone", id(binding))
			}
			return true, nil
		}
		return false, fmt.Errorf("%s has no subjects", id(binding))
	}

	var clusterRoleNames, roleNames []string
	for _, b := range clusterRoleBindings {
		if _, err := boundToManager(b); err != nil {
			return nil, err
		}
		ref := Str(b, "roleRef", "name")
		if Str(b, "roleRef", "kind") != "ClusterRole" || clusterRoles[ref] == nil {
			return nil, fmt.Errorf("%s: roleRef must name a ClusterRole of config/default", id(b))
		}
		clusterRoleNames = append(clusterRoleNames, ref)
		inst.Dropped[id(b)] = "OLM binds the CSV's clusterPermissions to the manager's ServiceAccount"
	}
	for _, b := range roleBindings {
		if _, err := boundToManager(b); err != nil {
			return nil, err
		}
		ref := Str(b, "roleRef", "name")
		if Str(b, "roleRef", "kind") != "Role" || roles[ref] == nil {
			return nil, fmt.Errorf("%s: roleRef must name a Role of config/default", id(b))
		}
		roleNames = append(roleNames, ref)
		inst.Dropped[id(b)] = "OLM binds the CSV's permissions to the manager's ServiceAccount"
	}
	sort.Strings(clusterRoleNames)
	sort.Strings(roleNames)
	for _, n := range clusterRoleNames {
		rules, _ := Get(clusterRoles[n], "rules").([]any)
		inst.ClusterRules = append(inst.ClusterRules, rules...)
		inst.Dropped[id(clusterRoles[n])] = "its rules are the CSV's clusterPermissions"
		delete(clusterRoles, n)
	}
	for _, n := range roleNames {
		rules, _ := Get(roles[n], "rules").([]any)
		inst.Rules = append(inst.Rules, rules...)
		inst.Dropped[id(roles[n])] = "its rules are the CSV's permissions"
		delete(roles, n)
	}
	for _, m := range []map[string]Object{clusterRoles, roles} {
		for _, obj := range m {
			rest = append(rest, obj)
		}
	}
	for _, obj := range rest {
		if !bundleKinds[Str(obj, "kind")] {
			return nil, fmt.Errorf("%s: OLM does not install this kind from a registry+v1 bundle", id(obj))
		}
		inst.Extra = append(inst.Extra, obj)
	}
	sort.Slice(inst.Extra, func(i, j int) bool { return ManifestFileName(inst.Extra[i]) < ManifestFileName(inst.Extra[j]) })
	return inst, nil
}
