"""Points Tencent Cloud's official Python SDK at `mnpsync sim` and prints what it gets back.

    pip install tencentcloud-sdk-python-intl-en
    cargo build && python3 examples/official_sdk_check.py target/debug/mnpsync

Expected: submit ok, ExistMNPApprovalRecord, cancel ok, MNPApprovalStatusError,
InvalidApplyAction, a newest-first listing, ProcessMNPApproval ok, AuthFailure.SignatureFailure;
then the version-release actions: DescribeMNPAllStageVersions, ReleaseMNPVersion (ok,
MNPVersionReleased, OnlyReleasePlatformApprovedMNPVersion), DescribeMNPReleasedVersionHistory and
RollbackMNPVersion (FailedOperation for the online version); then the same simulator through the
TCSAS client (`tencentcloud.tcsas.v20250106`): submit ok with an ApprovalNo,
ExistMNPApprovalRecord, a listing, and the four release actions; a simulator started with
`--fixture examples/sim-fixture.yaml --auto-approve 0s` where both clients release, roll back and
release an auto-approved version; and a TCSAS-only simulator (`mnpsync sim --api tcsas`) refusing
the TCMPP client with AuthFailure.SignatureFailure. The release checks are asserted: the script
exits 1 when an answer differs from what the simulator should say.
"""
import json, pathlib, subprocess, sys
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tcmpp.v20240801 import tcmpp_client, models
from tencentcloud.tcsas.v20250106 import tcsas_client, models as tcsas_models

binary = sys.argv[1]
failures = []
def expect(label, got, want):
    """Prints an answer and records it when it is not the expected one."""
    print(label, got)
    if got != want:
        failures.append(f"{label}: got {got!r}, want {want!r}")

def start(*extra):
    p = subprocess.Popen([binary, "sim", "--listen", "127.0.0.1:0", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p, p.stdout.readline().strip().split("http://")[1]
sim, addr = start()
try:
    hp = HttpProfile(); hp.endpoint = addr; hp.protocol = "http"; hp.scheme = "http"; hp.reqMethod = "POST"
    cp = ClientProfile(); cp.httpProfile = hp; cp.signMethod = "TC3-HMAC-SHA256"
    cred = credential.Credential("AKIDsimulator0000000000000000000000", "simulatorSecretKey000000000000000")
    c = tcmpp_client.TcmppClient(cred, "ap-guangzhou", cp)
    def create(v, action):
        r = models.CreateMNPApprovalRequest(); r.MNPVersionId = v; r.ApplyAction = action; r.PlatformId = "TPLATFORM1"
        try:
            resp = c.CreateMNPApproval(r); return ("ok", resp.Data.Result, resp.RequestId)
        except TencentCloudSDKException as e:
            return ("error", e.get_code(), e.get_request_id())
    print("submit", create(2597, "submit"))
    print("submit again", create(2597, "submit"))
    print("cancel", create(2597, "cancel"))
    print("cancel again", create(2597, "cancel"))
    print("bad action", create(2597, "frobnicate"))
    create(2598, "submit")
    d = models.DescribeMNPApprovalListRequest(); d.Offset = 0; d.Limit = 10; d.PlatformId = "TPLATFORM1"
    resp = c.DescribeMNPApprovalList(d)
    print("describe", resp.Data.TotalCount, [(x.MNPVersionId, x.ApprovalStatus, x.ApprovalNo) for x in resp.Data.DataList])
    no = [x for x in resp.Data.DataList if x.ApprovalStatus == 1][0]
    p = models.ProcessMNPApprovalRequest(); p.ApprovalNo = no.ApprovalNo; p.PlatformId = "TPLATFORM1"
    item = models.ApprovalItem(); item.AppId = no.ApplicationId; item.ApprovalResult = 3; item.ApprovalNote = "ok"
    p.ApprovalItems = [item]
    print("process", c.ProcessMNPApproval(p).Data.Result)
    resp = c.DescribeMNPApprovalList(d)
    print("after approval", [(x.MNPVersionId, x.ApprovalStatus) for x in resp.Data.DataList])

    # The version-release actions: 2598 is approved, 2597's request was cancelled.
    def stages(client, mods, mnp, platform):
        r = mods.DescribeMNPAllStageVersionsRequest(); r.MNPId = mnp; r.PlatformId = platform
        return [(x.MNPVersionId, x.Phase, x.ApprovalStatus) for x in client.DescribeMNPAllStageVersions(r).Data]
    def history(client, mods, mnp, platform):
        r = mods.DescribeMNPReleasedVersionHistoryRequest(); r.MNPId = mnp; r.PlatformId = platform
        data = client.DescribeMNPReleasedVersionHistory(r).Data
        return (data.TotalCount, [(x.MNPVersionId, x.MNPVersion, x.MNPVersionNote) for x in data.DataList])
    def release(client, mods, version, platform):
        r = mods.ReleaseMNPVersionRequest(); r.MNPVersionId = version; r.PlatformId = platform
        try:
            return ("ok", client.ReleaseMNPVersion(r).Data.Result)
        except TencentCloudSDKException as e:
            return ("error", e.get_code())
    def rollback(client, mods, mnp, version, string, platform):
        r = mods.RollbackMNPVersionRequest(); r.MNPId = mnp; r.MNPVersionId = version; r.MNPVersion = string; r.PlatformId = platform
        try:
            return ("ok", client.RollbackMNPVersion(r).Data.Result)
        except TencentCloudSDKException as e:
            return ("error", e.get_code())
    expect("stage versions", stages(c, models, "mnp-2598", "TPLATFORM1"), [(2598, "Platform", 3)])
    expect("release", release(c, models, 2598, "TPLATFORM1"), ("ok", True))
    expect("release again", release(c, models, 2598, "TPLATFORM1"), ("error", "FailedOperation.MNPVersionReleased"))
    expect("release cancelled", release(c, models, 2597, "TPLATFORM1"), ("error", "FailedOperation.OnlyReleasePlatformApprovedMNPVersion"))
    expect("after release", stages(c, models, "mnp-2598", "TPLATFORM1"), [(2598, "Online", 3)])
    expect("history", history(c, models, "mnp-2598", "TPLATFORM1"), (1, [(2598, "1.0.2598", "Version 1.0.2598")]))
    expect("rollback to the online version", rollback(c, models, "mnp-2598", 2598, "1.0.2598", "TPLATFORM1"), ("error", "FailedOperation"))

    bad = credential.Credential("AKIDsimulator0000000000000000000000", "wrong")
    c2 = tcmpp_client.TcmppClient(bad, "ap-guangzhou", cp)
    try:
        c2.CreateMNPApproval(models.CreateMNPApprovalRequest())
    except TencentCloudSDKException as e:
        print("wrong key", e.get_code())

    # TCSAS: the same simulator serves both APIs, told apart by the signature's service.
    t = tcsas_client.TcsasClient(cred, "ap-guangzhou", cp)
    def tcsas_create(v, action):
        r = tcsas_models.CreateMNPApprovalRequest(); r.MNPVersionId = v; r.ApplyAction = action; r.PlatformId = "TSASPLATFORM1"
        try:
            resp = t.CreateMNPApproval(r); return ("ok", resp.Data.Result, resp.Data.ApprovalNo, resp.RequestId)
        except TencentCloudSDKException as e:
            return ("error", e.get_code(), e.get_request_id())
    print("tcsas submit", tcsas_create(3120, "submit"))
    print("tcsas submit again", tcsas_create(3120, "submit"))
    td = tcsas_models.DescribeMNPApprovalListRequest(); td.Offset = 0; td.Limit = 10; td.PlatformId = "TSASPLATFORM1"
    resp = t.DescribeMNPApprovalList(td)
    print("tcsas describe", resp.Data.TotalCount, [(x.MNPVersionId, x.ApprovalStatus, x.ApprovalNo) for x in resp.Data.DataList])
    tp = tcsas_models.ProcessMNPApprovalRequest(); tp.ApprovalNo = resp.Data.DataList[0].ApprovalNo; tp.PlatformId = "TSASPLATFORM1"
    titem = tcsas_models.ApprovalItem(); titem.AppId = resp.Data.DataList[0].ApplicationId; titem.ApprovalResult = 3; titem.ApprovalNote = "ok"
    tp.ApprovalItems = [titem]
    expect("tcsas process", t.ProcessMNPApproval(tp).Data.Result, True)
    expect("tcsas release", release(t, tcsas_models, 3120, "TSASPLATFORM1"), ("ok", True))
    expect("tcsas stage versions", stages(t, tcsas_models, "mnp-3120", "TSASPLATFORM1"), [(3120, "Online", 3)])
    expect("tcsas history", history(t, tcsas_models, "mnp-3120", "TSASPLATFORM1"), (1, [(3120, "1.0.3120", "Version 1.0.3120")]))
    expect("tcsas rollback of an unknown mini program", rollback(t, tcsas_models, "shop", 3120, "1.0.3120", "TSASPLATFORM1"), ("error", "InvalidParameterValue.InvalidMiniAppId"))
finally:
    sim.kill()

# A fixture with history, and approvals that approve themselves: mnp-shop has 101 online and 102
# approved; mnp-news's 201 is in review and approved at the next request.
fixture = str(pathlib.Path(__file__).resolve().parent / "sim-fixture.yaml")
fsim, faddr = start("--fixture", fixture, "--auto-approve", "0s")
try:
    fhp = HttpProfile(); fhp.endpoint = faddr; fhp.protocol = "http"; fhp.scheme = "http"; fhp.reqMethod = "POST"
    fcp = ClientProfile(); fcp.httpProfile = fhp; fcp.signMethod = "TC3-HMAC-SHA256"
    fc = tcmpp_client.TcmppClient(cred, "ap-guangzhou", fcp)
    ft = tcsas_client.TcsasClient(cred, "ap-guangzhou", fcp)
    expect("fixture stage versions", stages(fc, models, "mnp-shop", "TPLATFORM1"), [(103, "Develop", None), (102, "Platform", 3), (101, "Online", 3)])
    expect("fixture release 102", release(fc, models, 102, "TPLATFORM1"), ("ok", True))
    expect("fixture release 101", release(fc, models, 101, "TPLATFORM1"), ("error", "FailedOperation.ReleaseMNPVersionNeedGreaterThanOnlineVersion"))
    expect("fixture rollback to 101", rollback(fc, models, "mnp-shop", 101, "1.0.0", "TPLATFORM1"), ("ok", True))
    expect("fixture rollback to 102 (tcsas)", rollback(ft, tcsas_models, "mnp-shop", 102, "1.1.0", "TPLATFORM1"), ("ok", True))
    expect("fixture history (tcsas)", history(ft, tcsas_models, "mnp-shop", "TPLATFORM1"),
           (4, [(102, "1.1.0", "Version 1.1.0"), (101, "1.0.0", "First release"), (102, "1.1.0", "Version 1.1.0"), (101, "1.0.0", "First release")]))
    expect("auto-approved release (tcsas)", release(ft, tcsas_models, 201, "TPLATFORM1"), ("ok", True))
    expect("after auto-approval", stages(fc, models, "mnp-news", "TPLATFORM1"), [(201, "Online", 3)])
finally:
    fsim.kill()

only, only_addr = start("--api", "tcsas")
try:
    hp2 = HttpProfile(); hp2.endpoint = only_addr; hp2.protocol = "http"; hp2.scheme = "http"; hp2.reqMethod = "POST"
    cp2 = ClientProfile(); cp2.httpProfile = hp2; cp2.signMethod = "TC3-HMAC-SHA256"
    c3 = tcmpp_client.TcmppClient(cred, "ap-guangzhou", cp2)
    r = models.CreateMNPApprovalRequest(); r.MNPVersionId = 1; r.ApplyAction = "submit"; r.PlatformId = "TPLATFORM1"
    try:
        c3.CreateMNPApproval(r); print("tcmpp against a tcsas-only simulator: accepted (unexpected)")
    except TencentCloudSDKException as e:
        print("tcmpp against a tcsas-only simulator", e.get_code())
finally:
    only.kill()

if failures:
    print("FAILED:", *failures, sep="\n  ")
    sys.exit(1)
print("all release checks passed")
