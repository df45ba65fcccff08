"""Points Tencent Cloud's official Python SDK at `mnpsync sim` and prints what it gets back.

    pip install tencentcloud-sdk-python-intl-en
    cargo build && python3 examples/official_sdk_check.py target/debug/mnpsync

Expected: submit ok, ExistMNPApprovalRecord, cancel ok, MNPApprovalStatusError,
InvalidApplyAction, a newest-first listing, ProcessMNPApproval ok, AuthFailure.SignatureFailure;
then the same simulator through the TCSAS client (`tencentcloud.tcsas.v20250106`): submit ok
with an ApprovalNo, ExistMNPApprovalRecord, a listing; and a TCSAS-only simulator
(`mnpsync sim --api tcsas`) refusing the TCMPP client with AuthFailure.SignatureFailure.
"""
import json, subprocess, sys
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tcmpp.v20240801 import tcmpp_client, models
from tencentcloud.tcsas.v20250106 import tcsas_client, models as tcsas_models

binary = sys.argv[1]
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
finally:
    sim.kill()

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
