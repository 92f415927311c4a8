<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meetings - Hollinsford Borough Council</title>
<meta name="GENERATOR" content="DotNetNuke">
<link href="@BASE@/hollinsford/cmis5/Portals/_default/Skins/CMIS/skin.css" rel="stylesheet" type="text/css">
<style>
body { font-family: Verdana, Arial, sans-serif; margin: 0; color: #222; font-size: 0.9em; }
#dnn_Header { background: #5b2a57; color: #fff; padding: 12px 24px; }
#dnn_Header a { color: #fff; }
#dnn_ContentPane { padding: 12px 24px 30px; max-width: 980px; }
.holder { display: flex; gap: 1em; } .DNNLabel { font-weight: bold; min-width: 9em; }
li.DocumentListItem { list-style: none; margin: 4px 0; }
.rgMasterTable td, table td { padding: 4px 10px; border-bottom: 1px solid #ddd; }
</style>
</head>
<body id="Body">
<form method="post" action="/hollinsford/cmis5/Meetings.aspx" id="Form" enctype="multipart/form-data">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRkHc1xq9mV0pXe3Lw8cRk2nV7eGQo=">
</div>
<div id="dnn_Header">
  <p class="CouncilName"><strong>Hollinsford Borough Council</strong> &mdash; Councillors, committees and meetings</p>
  <ul id="dnn_dnnNAV" class="TopMenu">
    <li><a href="@BASE@/hollinsford/index.html">Council website</a></li>
    <li><a href="@BASE@/hollinsford/cmis5/Meetings.aspx">Meetings</a></li>
  </ul>
</div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-397"><a name="397"></a>
<div class="DNNModuleContent ModCMISMeetingsC">
<h1 class="Title">Calendar of meetings</h1>
<div id="dnn_ctr397_MeetingCalendarPublic_pnlViewActions">
    <div class="UserEditActions">
        <input type="submit" name="dnn$ctr397$MeetingCalendarPublic$btnButtonListView" value="Meeting List View" id="dnn_ctr397_MeetingCalendarPublic_btnButtonListView" />
        <input type="submit" name="dnn$ctr397$MeetingCalendarPublic$btnButtonMeetingsRSS" value="Meetings RSS" id="dnn_ctr397_MeetingCalendarPublic_btnButtonMeetingsRSS" />
    </div>
</div>
<div id="dnn_ctr397_MeetingCalendarPublic_RadScheduler1" class="RadScheduler">
<noscript><p>The calendar needs JavaScript. Use the Meeting List View to see this month's meetings.</p></noscript>
</div>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>
