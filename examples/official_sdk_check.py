"""Points Tencent Cloud's official Python SDK at `mnpsync sim` and prints what it gets back.

    pip install tencentcloud-sdk-python-intl-en
    cargo build && python3 examples/official_sdk_check.py target/debug/mnpsync

Expected: submit ok, ExistMNPApprovalRecord, cancel ok, MNPApprovalStatusError,
InvalidApplyAction, a newest-first listing, ProcessMNPApproval ok, AuthFailure.SignatureFailure.
"""
import json, subprocess, sys
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tcmpp.v20240801 import tcmpp_client, models

binary = sys.argv[1]
sim = subprocess.Popen([binary, "sim", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
first = sim.stdout.readline().strip()
addr = first.split("http://")[1]
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
finally:
    sim.kill()
