<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Council - Hollinsford Borough Council</title>
<meta name="GENERATOR" content="DotNetNuke">
<style>
body { font-family: Verdana, Arial, sans-serif; margin: 0; color: #222; font-size: 0.9em; }
#dnn_Header { background: #5b2a57; color: #fff; padding: 12px 24px; }
#dnn_Header a { color: #fff; }
#dnn_dnnBREADCRUMB { padding: 6px 24px; background: #f1ecf0; }
#dnn_ContentPane { padding: 12px 24px 30px; max-width: 980px; }
.holder { display: flex; gap: 1em; } .DNNLabel { font-weight: bold; min-width: 9em; }
li.DocumentListItem { list-style: none; margin: 4px 0; }
.rgMasterTable td { padding: 4px 10px; border-bottom: 1px solid #ddd; }
</style>
</head>
<body id="Body">
<form method="post" action="/hollinsford/cmis5/Committees.aspx" id="Form" enctype="multipart/form-data">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRkHc1xq9mV0pXe3Lw8cRk2nV7eGQo=">
<input type="hidden" name="dnn$ctr381$ViewCMIS_CommitteeDetails$hidden" value="">
</div>
<div id="dnn_Header">
  <p class="CouncilName"><strong>Hollinsford Borough Council</strong> &mdash; Councillors, committees and meetings</p>
  <ul id="dnn_dnnNAV" class="TopMenu">
    <li><a href="@BASE@/hollinsford/index.html">Council website</a></li>
    <li><a href="@BASE@/hollinsford/cmis5/Committees.aspx">Committees</a></li>
  </ul>
</div>
<div id="dnn_dnnBREADCRUMB"><a href="@BASE@/hollinsford/index.html" class="Breadcrumb">Home</a> &gt; <a href="@BASE@/hollinsford/cmis5/Committees.aspx" class="Breadcrumb">Committees</a> &gt; <span class="Breadcrumb">Council</span></div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-381"><a name="381"></a>
<div id="dnn_ctr381_ContentPane">
<h1 class="Title">Council</h1>
<div class="CommitteeDetails">
<div class="holder"><div class="DNNLabel">Committee:</div><div class="Value">Council</div></div>
<div class="holder"><div class="DNNLabel">Type:</div><div class="Value">Full Council</div></div>
<p class="Description">The Council is made up of all 48 councillors. It sets the budget and the council tax, agrees the policy framework and appoints the Leader and the Mayor.</p>
</div>
<h2 class="SubTitle">Meetings</h2>
<table class="rgMasterTable" id="dnn_ctr381_ViewCMIS_CommitteeDetails_rgMeetings_ctl00">
<thead><tr><th class="rgHeader">Meeting</th><th class="rgHeader">Venue</th><th class="rgHeader">Status</th></tr></thead>
<tbody>
<tr class="rgRow"><td><a class="MeetingLink" href="@BASE@/hollinsford/cmis5/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/5101/Committee/3/Default.aspx">@RECENT:30:human@ 19:00 - Council</a></td><td>Council Chamber, Hollinsford Civic Centre</td><td>Completed</td></tr>
<tr class="rgAltRow"><td><a class="MeetingLink" href="@BASE@/hollinsford/cmis5/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/5102/Committee/3/Default.aspx">@OLD:40:human@ 19:00 - Council</a></td><td>Council Chamber, Hollinsford Civic Centre</td><td>Completed</td></tr>
</tbody>
</table>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>
