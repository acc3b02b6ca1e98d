-- Argo CD health check for ci.securepipeline.dev/SecurePipeline and SecurePipelineSet.
-- Install it under resource.customizations.health.ci.securepipeline.dev_SecurePipeline and
-- resource.customizations.health.ci.securepipeline.dev_SecurePipelineSet in argocd-cm (see
-- argocd-cm-patch.yaml beside this file, which must hold this script unchanged under both keys).
--
-- Argo CD runs it with only Lua's base, table and package libraries (no string library): keep it that way.
-- It reads the same status that kstatus (Flux, kpt, cli-utils) reads: observedGeneration and the Ready,
-- Reconciling and Stalled conditions (api/v1alpha1/conditions.go).
--
--   Suspended    spec.suspend is true: nothing is written to GitHub (a set: no child is created, changed or
--                deleted; status.plan lists what would be).
--   Progressing  no status yet; the status describes an older generation; Reconciling is True; or Ready is
--                not True for a reason the operator retries (GitHubUnavailable, RateLimited, Progressing...).
--   Degraded     Stalled is True, or Ready is False for a reason only a human can fix.
--   Healthy      Ready is True for the current generation.
-- A set whose children are not all Ready (ChildrenNotReady) is Progressing while a child has not reported
-- on its current generation (Reconciling), then Degraded if status.notReady names a child that is not Ready
-- for a reason only a human can fix (or whose name another SecurePipeline took), else Progressing.
local hs = {}

-- Ready=False reasons that stall the operator until someone acts (api/v1alpha1/conditions.go).
local terminalReasons = {
  CredentialsSecretNotFound = true,
  InvalidCredentials = true,
  AuthenticationFailed = true,
  AccessDenied = true,
  RepositoryNotFound = true,
  ReviewerNotFound = true,
  RepositoryConflict = true,
  InvalidSpec = true,
  EnvironmentNotGated = true,
  EnvironmentNameUnsafe = true,
  AdminBypassUnsupported = true,
  OwnerNotAllowed = true,
  RepositoryRenamed = true,
  InvalidSelector = true,
  OrganizationNotFound = true,
  NameTaken = true,
}

local function findCondition(status, conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

-- The condition's message, else its reason, else the fallback.
local function describe(c, fallback)
  if c ~= nil then
    if c.message ~= nil and c.message ~= "" then
      return c.message
    end
    if c.reason ~= nil and c.reason ~= "" then
      return c.reason
    end
  end
  return fallback
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Pending deletion"
  return hs
end

local status = obj.status
local ready = findCondition(status, "Ready")

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  if obj.kind == "SecurePipelineSet" then
    hs.message = "Suspended (dry run): spec.suspend is true, status.plan lists what would change"
  else
    hs.message = "Suspended: spec.suspend is true, nothing is written to GitHub"
  end
  return hs
end

if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = obj.metadata.generation
local observed = status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  if observed == nil then
    hs.message = "Waiting for the operator to observe generation " .. generation
  else
    hs.message = "Waiting for the operator to observe generation " .. generation .. " (status is of generation " .. observed .. ")"
  end
  return hs
end

local stalled = findCondition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

if ready ~= nil and ready.status == "False" and ready.reason ~= nil and terminalReasons[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready, "Not ready")
  return hs
end

local reconciling = findCondition(status, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

if ready ~= nil and ready.status == "False" and ready.reason == "ChildrenNotReady" and status.notReady ~= nil then
  for _, m in ipairs(status.notReady) do
    if m.reason ~= nil and terminalReasons[m.reason] and m.repository ~= nil then
      hs.status = "Degraded"
      hs.message = describe(ready, "Not ready") .. "; " .. m.repository .. ": " .. describe(m, m.reason)
      return hs
    end
  end
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "Waiting for the Ready condition")
return hs
