<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Committees - Hollinsford Borough Council</title>
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
<input type="hidden" name="dnn$ctr381$CMIS_Committees$hidden" value="">
</div>
<div id="dnn_Header">
  <p class="CouncilName"><strong>Hollinsford Borough Council</strong> &mdash; Councillors, committees and meetings</p>
  <ul id="dnn_dnnNAV" class="TopMenu">
    <li><a href="@BASE@/hollinsford/index.html">Council website</a></li>
    <li><a href="@BASE@/hollinsford/cmis5/Committees.aspx">Committees</a></li>
  </ul>
</div>
<div id="dnn_dnnBREADCRUMB"><a href="@BASE@/hollinsford/index.html" class="Breadcrumb">Home</a> &gt; <span class="Breadcrumb">Committees</span></div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-381"><a name="381"></a>
<div id="dnn_ctr381_ContentPane">
<h1 class="Title">Committees</h1>
<p>Select a committee to see its members, its meetings and their agendas, reports and minutes.</p>
<div class="CommitteeCategoryList">
<h2 class="CategoryTitle">Council and Executive</h2>
<ul class="CommitteeList">
<li class="CommitteeListItem"><a class="CommitteeLink" href="@BASE@/hollinsford/cmis5/Committees/tabid/62/ctl/ViewCMIS_CommitteeDetails/mid/381/id/3/Default.aspx">Council</a> <span class="CommitteeCategory">Full Council</span></li>
<li class="CommitteeListItem"><a class="CommitteeLink" href="@BASE@/hollinsford/cmis5/Committees/tabid/62/ctl/ViewCMIS_CommitteeDetails/mid/381/id/4/Default.aspx">Cabinet</a> <span class="CommitteeCategory">Executive</span></li>
</ul>
</div>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>
